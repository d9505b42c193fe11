"""gradgate.vision.models: torchvision's model builders with the same module and parameter names."""
from .resnet import ResNet, BasicBlock, ResNet18_Weights, ResNet34_Weights, resnet18, resnet34  # noqa: F401
