"""Acting with a trained model: observations in, an action out, with torch or onnxruntime (the car has no torch)."""
