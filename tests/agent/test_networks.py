"""Network shapes as in the table of docs/deepracer-semantics.md#networks, input scaling and heads."""
import pytest
import torch

from deepracer_agent.rl.networks import CAMERA_EMBEDDERS, STEREO_EMBEDDERS, ActorCritic, ImageEmbedder, count_parameters
from deepracer_common.action_space import discrete_from_garage
from deepracer_common.model_metadata import ModelMetadata
from deepracer_common.observations import observation_spec


def _conv_shapes(embedder, shape):
    x = torch.zeros(1, shape[2], shape[0], shape[1])
    shapes = []
    for layer in embedder.layers:
        x = layer(x)
        if isinstance(layer, torch.nn.Conv2d):
            shapes.append((x.shape[2], x.shape[3], x.shape[1]))
    return shapes, x.shape[1]


def test_three_layer_cnn_shapes_match_the_spec_table():
    convs, dense = CAMERA_EMBEDDERS["DEEP_CONVOLUTIONAL_NETWORK_SHALLOW"]
    embedder = ImageEmbedder((120, 160, 1), convs, dense)
    shapes, size = _conv_shapes(embedder, (120, 160, 1))
    assert shapes == [(29, 39, 32), (13, 18, 64), (11, 16, 64)]
    assert size == 11264


def test_five_layer_cnn_shapes_match_the_spec_table():
    convs, dense = CAMERA_EMBEDDERS["DEEP_CONVOLUTIONAL_NETWORK"]
    embedder = ImageEmbedder((120, 160, 1), convs, dense)
    shapes, size = _conv_shapes(embedder, (120, 160, 1))
    assert shapes == [(58, 78, 32), (56, 76, 32), (27, 37, 64), (25, 35, 64)]
    assert embedder.conv_output_shape == (25, 35, 64)  # 56000 values before Dense 64
    assert size == 64


def test_stereo_deep_embedder_has_no_dense_layer():
    convs, dense = STEREO_EMBEDDERS["DEEP_CONVOLUTIONAL_NETWORK"]
    assert dense == []
    embedder = ImageEmbedder((120, 160, 2), convs, dense)
    assert embedder.output_size == 25 * 35 * 128


def test_towers_are_separate_and_sized_by_the_middleware():
    metadata = ModelMetadata(action_space=discrete_from_garage(30, 5, 1.0, 3))
    model = ActorCritic.for_metadata(metadata)
    assert model.policy.head.out_features == 15
    assert model.policy.tower.middleware[0].out_features == 512
    policy_params = {id(p) for p in model.policy.parameters()}
    assert not policy_params & {id(p) for p in model.value.parameters()}
    # 3-layer CNN tower: convs 2080 + 32832 + 36928, FC 11264*512+512.
    assert count_parameters(model.policy.tower) == 2080 + 32832 + 36928 + 11264 * 512 + 512


def test_lidar_embedder_is_concatenated_with_the_camera():
    metadata = ModelMetadata(action_space=discrete_from_garage(30, 3, 1.0, 1), sensor=["FRONT_FACING_CAMERA", "LIDAR"])
    spec = observation_spec(metadata)
    assert list(spec.items()) == [("FRONT_FACING_CAMERA", (120, 160, 1)), ("LIDAR", (64,))]
    model = ActorCritic.for_metadata(metadata)
    assert model.policy.tower.middleware[0].in_features == 11264 + 256
    out = model.policy({"FRONT_FACING_CAMERA": torch.zeros(2, 120, 160, 1, dtype=torch.uint8), "LIDAR": torch.ones(2, 64)})
    assert out.shape == (2, 3)


def test_input_is_divided_by_255_inside_the_network_and_probabilities_are_floored():
    metadata = ModelMetadata(action_space=discrete_from_garage(30, 5, 1.0, 3))
    model = ActorCritic.for_metadata(metadata).eval()
    frame = torch.randint(0, 256, (3, 120, 160, 1), dtype=torch.uint8)
    with torch.no_grad():
        from_uint8 = model.policy({"FRONT_FACING_CAMERA": frame})
        from_float = model.policy({"FRONT_FACING_CAMERA": frame.float()})
        model.policy.head.bias.copy_(torch.tensor([100.0] + [0.0] * 14))
        peaked = model.policy({"FRONT_FACING_CAMERA": frame})
    assert torch.allclose(from_uint8, from_float)
    assert torch.allclose(from_uint8.sum(-1), torch.ones(3))
    assert float(peaked.min()) == pytest.approx(1e-8)
