"""ResNet-18/34 with torchvision's architecture, module names, parameter names and init, so that a
state_dict saved from torchvision loads strictly. Pretrained weights are not downloaded: pass the
path of a checkpoint written by torch.save or gradgate.save."""
import enum
import os
import re

from ... import nn
from ...serialization import load


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64, dilation=1,
                 norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1, width_per_group=64,
                 replace_stride_with_dilation=None, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None "
                             f"or a 3-element tuple, got {replace_stride_with_dilation}")
        if any(replace_stride_with_dilation):  # dilated stages exist only for Bottleneck blocks
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        self.inplanes = 64
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:  # each residual branch starts as zero, so every block starts as identity
            for m in self.modules():
                if isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width, 1, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x)
        return self.fc(x.flatten(1))


class _Weights(enum.Enum):
    """torchvision's weight enums, by name only: their value is the URL torchvision downloads from."""

    @classmethod
    def verify(cls, obj):
        if not isinstance(obj, str):
            return obj
        try:
            return cls[obj.replace(cls.__name__ + ".", "")]
        except KeyError:
            raise ValueError(f"Failed to find Weights {obj} in {cls.__name__}. "
                             f"Try one of {[e.name for e in cls]}") from None

    @property
    def url(self):
        return self.value


class ResNet18_Weights(_Weights):
    IMAGENET1K_V1 = "https://download.pytorch.org/models/resnet18-f37072fd.pth"
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(_Weights):
    IMAGENET1K_V1 = "https://download.pytorch.org/models/resnet34-b627a593.pth"
    DEFAULT = IMAGENET1K_V1


_WEIGHTS_NAME = re.compile(r"(\w+_Weights\.)?[A-Z][A-Z0-9_]*")


def _resnet(layers, weights_enum, weights, pretrained, kwargs):
    if pretrained:  # torchvision's deprecated spelling of weights=DEFAULT
        weights = weights_enum.DEFAULT
    name_given = isinstance(weights, str) and not os.path.exists(weights) and _WEIGHTS_NAME.fullmatch(weights)
    if isinstance(weights, _Weights) or name_given:
        w = weights_enum.verify(weights)
        raise RuntimeError(f"gradgate cannot download pretrained weights ({type(w).__name__}.{w.name}); "
                           f"download {w.url} yourself and pass its path: weights='/path/to/{w.url.rsplit('/', 1)[-1]}'")
    if weights is not None and not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"weights must be None or the path of a saved state_dict, got {type(weights).__name__}")
    model = ResNet(BasicBlock, layers, **kwargs)
    if weights is not None:
        model.load_state_dict(load(weights, map_location="cpu"))
    return model


def resnet18(*, weights=None, progress=True, pretrained=False, **kwargs):
    """ResNet-18 (11,689,512 parameters with the 1000-class head). weights: None or a checkpoint path."""
    return _resnet([2, 2, 2, 2], ResNet18_Weights, weights, pretrained, kwargs)


def resnet34(*, weights=None, progress=True, pretrained=False, **kwargs):
    """ResNet-34 (21,797,672 parameters with the 1000-class head). weights: None or a checkpoint path."""
    return _resnet([3, 4, 6, 3], ResNet34_Weights, weights, pretrained, kwargs)
