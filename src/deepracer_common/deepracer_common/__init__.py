"""What every DeepRacer package shares, without ROS: action spaces, model metadata and model files, sensor geometry and observations, race settings, the car's servo mapping, atomic writes."""
