#!/usr/bin/python3
"""DETR reference: a PyTorch port of facebookresearch/detr's inference path.

    python3 tests/reference/detr_ref.py --out DIR [-D name=value ...] [--seed N]
    python3 tests/reference/detr_ref.py --selftest     # port vs torchvision ResNet-50 etc.

Source (read from https://github.com/facebookresearch/detr, Apache-2.0):
    models/detr.py             DETR.forward, MLP, PostProcess
    models/backbone.py         FrozenBatchNorm2d, BackboneBase/Backbone (IntermediateLayerGetter
                               over torchvision resnet50(norm_layer=FrozenBatchNorm2d)), Joiner
    models/position_encoding.py PositionEmbeddingSine(num_pos_feats=dim/2, normalize=True)
    models/transformer.py      Transformer, TransformerEncoder/DecoderLayer (post-norm path)
    util/box_ops.py            box_cxcywh_to_xyxy
and torchvision.models.resnet (Bottleneck, ResNet) for the backbone body.

Deviations from the original (none changes the numbers for the same weights and input):
  1. The ResNet body is re-implemented (same module names and computation as torchvision's
     ResNet-50 v1.5: 7x7/2 stem without bias, 3x3/2 max pool, Bottleneck with the stride on the
     3x3 conv, 1x1 downsample conv + BN) so that its width and depth are configurable:
     stem = `width` channels, stage planes width, 2w, 4w, 8w, expansion 4, `blocksN` blocks per
     stage; width 64 with [3, 4, 6, 3] is exactly resnet50 (checked by --selftest against
     torchvision.models.resnet50 with FrozenBatchNorm2d, by loading the same state_dict).
     The body stops after layer4 (IntermediateLayerGetter drops avgpool / fc), and only the
     layer4 output is used (return_interm_layers = False, dilation = False).
  2. NestedTensor is replaced by a plain batch tensor plus an all-False padding mask: every
     image in the batch has the input size, so nested_tensor_from_tensor_list pads nothing.
     The mask is still carried through (interpolated to the feature map, used by the sine
     encoding and as key_padding_mask) as in the original.
  3. Only the post-norm path (normalize_before=False, DETR's default) is ported; the decoder is
     built with return_intermediate=False and DETR.forward takes the last decoder output, which
     equals hs[-1] of the original (return_intermediate_dec=True): decoder.norm applied to the
     last layer's output. No aux outputs, no segmentation head.
  4. Weights are random (see randomize) instead of the pretrained checkpoint; no training code.
  5. PostProcess uses target size = the input size (img_h, img_w) for every image.

Config (names for models/detr.tg): img_h, img_w, batch, width, blocks1..blocks4, dim, heads,
enc_layers, dec_layers, ffn, queries, classes (class_embed has classes + 1 outputs, the last one
is "no object"). Full DETR-R50: width 64, blocks 3/4/6/3, dim 256, heads 8, 6 + 6 layers,
ffn 2048, queries 100, classes 91.
Input  image [batch, 3, img_h, img_w] (already normalized; here N(0, 1)).
Outputs logits     f32[batch, queries, classes + 1]   pred_logits
        boxes      f32[batch, queries, 4]             pred_boxes, sigmoid -> (cx, cy, w, h)
        scores     f32[batch, queries]                max over softmax(logits)[..., :-1]
        labels     i64[batch, queries]                argmax of the same (first max on ties)
        boxes_xyxy f32[batch, queries, 4]             (cx - w/2, cy - h/2, cx + w/2, cy + h/2)
                                                      * (img_w, img_h, img_w, img_h)
        attention_<module> f32[batch, heads, queries, keys] per-head probabilities of every
                           nn.MultiheadAttention (tessera compile --expose-attention's
                           attention:<module> outputs)

Semantics a graph author needs:
  * FrozenBatchNorm2d: scale = w * rsqrt(rv + 1e-5); y = x * scale + (b - rm * scale).
  * Feature map H' = ceil-ish per stage: conv/pool output (n + 2p - k) / s + 1 (floor), 5 halvings.
  * Sine encoding on the [batch, H', W'] all-valid mask: y_embed[i, j] = i + 1, x_embed = j + 1,
    normalized y_embed / (H' + 1e-6) * 2*pi, x_embed / (W' + 1e-6) * 2*pi;
    dim_t[k] = 10000 ** (2 * (k // 2) / (dim / 2)), k < dim / 2;
    pos_x[..., k] = x_embed / dim_t[k]; even k -> sin, odd k -> cos (interleaved, i.e.
    stack(sin(even), cos(odd)).flatten); pos = cat(pos_y, pos_x) -> dim channels.
  * Sequence order: feature map flattened row-major (h * W' + w), like src.flatten(2).
  * nn.MultiheadAttention: in_proj_weight [3*dim, dim] = q|k|v stacked, in_proj_bias [3*dim];
    q is scaled by 1/sqrt(dim/heads) after the projection (with bias); softmax over keys;
    out_proj. Encoder: q = k = src + pos, v = src. Decoder self-attn: q = k = tgt + query_pos,
    v = tgt; cross-attn: q = tgt + query_pos, k = memory + pos, v = memory. tgt starts at 0,
    query_pos = query_embed.weight. LayerNorm eps 1e-5 everywhere, FFN activation relu.
  * Heads: class_embed Linear(dim, classes+1); bbox_embed MLP 3 Linear layers with relu between,
    then sigmoid.
"""

import argparse
import copy
import math
import os
import sys
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn, Tensor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

DEFAULTS = dict(img_h=128, img_w=160, batch=1, width=8, blocks1=1, blocks2=1, blocks3=1,
                blocks4=1, dim=64, heads=4, enc_layers=2, dec_layers=2, ffn=128, queries=10,
                classes=5)
INPUTS = ["image"]
OUTPUTS = ["logits", "boxes", "scores", "labels", "boxes_xyxy"]


# ============================================================ models/backbone.py

class FrozenBatchNorm2d(torch.nn.Module):
    """BatchNorm2d where the batch statistics and the affine parameters are fixed (DETR)."""

    def __init__(self, n):
        super(FrozenBatchNorm2d, self).__init__()
        self.register_buffer("weight", torch.ones(n))
        self.register_buffer("bias", torch.zeros(n))
        self.register_buffer("running_mean", torch.zeros(n))
        self.register_buffer("running_var", torch.ones(n))

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict,
                              missing_keys, unexpected_keys, error_msgs):
        num_batches_tracked_key = prefix + 'num_batches_tracked'
        if num_batches_tracked_key in state_dict:
            del state_dict[num_batches_tracked_key]
        super(FrozenBatchNorm2d, self)._load_from_state_dict(
            state_dict, prefix, local_metadata, strict,
            missing_keys, unexpected_keys, error_msgs)

    def forward(self, x):
        w = self.weight.reshape(1, -1, 1, 1)
        b = self.bias.reshape(1, -1, 1, 1)
        rv = self.running_var.reshape(1, -1, 1, 1)
        rm = self.running_mean.reshape(1, -1, 1, 1)
        eps = 1e-5
        scale = w * (rv + eps).rsqrt()
        bias = b - rm * scale
        return x * scale + bias


# ------------------------------------------------------------ torchvision.models.resnet (port)

def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, norm_layer=FrozenBatchNorm2d):
        super().__init__()
        self.conv1 = conv1x1(inplanes, planes)
        self.bn1 = norm_layer(planes)
        self.conv2 = conv3x3(planes, planes, stride)
        self.bn2 = norm_layer(planes)
        self.conv3 = conv1x1(planes, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


class ResNetBody(nn.Module):
    """torchvision ResNet up to layer4 (what IntermediateLayerGetter keeps), width-configurable."""

    def __init__(self, width, layers, norm_layer=FrozenBatchNorm2d):
        super().__init__()
        self._norm_layer = norm_layer
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(width, layers[0])
        self.layer2 = self._make_layer(2 * width, layers[1], stride=2)
        self.layer3 = self._make_layer(4 * width, layers[2], stride=2)
        self.layer4 = self._make_layer(8 * width, layers[3], stride=2)
        self.num_channels = 8 * width * Bottleneck.expansion

    def _make_layer(self, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * Bottleneck.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * Bottleneck.expansion, stride),
                norm_layer(planes * Bottleneck.expansion))
        layers = [Bottleneck(self.inplanes, planes, stride, downsample, norm_layer)]
        self.inplanes = planes * Bottleneck.expansion
        for _ in range(1, blocks):
            layers.append(Bottleneck(self.inplanes, planes, norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)
        return {"0": x}          # IntermediateLayerGetter(return_layers={'layer4': '0'})


class Backbone(nn.Module):
    """BackboneBase: body + mask interpolation."""

    def __init__(self, width, layers):
        super().__init__()
        self.body = ResNetBody(width, layers)
        self.num_channels = self.body.num_channels

    def forward(self, tensors, mask):
        xs = self.body(tensors)
        out = {}
        for name, x in xs.items():
            m = F.interpolate(mask[None].float(), size=x.shape[-2:]).to(torch.bool)[0]
            out[name] = (x, m)
        return out


# ============================================================ models/position_encoding.py

class PositionEmbeddingSine(nn.Module):
    def __init__(self, num_pos_feats=64, temperature=10000, normalize=False, scale=None):
        super().__init__()
        self.num_pos_feats = num_pos_feats
        self.temperature = temperature
        self.normalize = normalize
        if scale is not None and normalize is False:
            raise ValueError("normalize should be True if scale is passed")
        if scale is None:
            scale = 2 * math.pi
        self.scale = scale

    def forward(self, x, mask):
        assert mask is not None
        not_mask = ~mask
        y_embed = not_mask.cumsum(1, dtype=torch.float32)
        x_embed = not_mask.cumsum(2, dtype=torch.float32)
        if self.normalize:
            eps = 1e-6
            y_embed = y_embed / (y_embed[:, -1:, :] + eps) * self.scale
            x_embed = x_embed / (x_embed[:, :, -1:] + eps) * self.scale

        dim_t = torch.arange(self.num_pos_feats, dtype=torch.float32, device=x.device)
        dim_t = self.temperature ** (2 * (dim_t // 2) / self.num_pos_feats)

        pos_x = x_embed[:, :, :, None] / dim_t
        pos_y = y_embed[:, :, :, None] / dim_t
        pos_x = torch.stack((pos_x[:, :, :, 0::2].sin(), pos_x[:, :, :, 1::2].cos()), dim=4).flatten(3)
        pos_y = torch.stack((pos_y[:, :, :, 0::2].sin(), pos_y[:, :, :, 1::2].cos()), dim=4).flatten(3)
        pos = torch.cat((pos_y, pos_x), dim=3).permute(0, 3, 1, 2)
        return pos


class Joiner(nn.Sequential):
    def __init__(self, backbone, position_embedding):
        super().__init__(backbone, position_embedding)

    def forward(self, tensors, mask):
        xs = self[0](tensors, mask)
        out, pos = [], []
        for name, (x, m) in xs.items():
            out.append((x, m))
            pos.append(self[1](x, m).to(x.dtype))
        return out, pos


# ============================================================ models/transformer.py

class Transformer(nn.Module):
    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation="relu"):
        super().__init__()
        encoder_layer = TransformerEncoderLayer(d_model, nhead, dim_feedforward, dropout, activation)
        self.encoder = TransformerEncoder(encoder_layer, num_encoder_layers, None)
        decoder_layer = TransformerDecoderLayer(d_model, nhead, dim_feedforward, dropout, activation)
        decoder_norm = nn.LayerNorm(d_model)
        self.decoder = TransformerDecoder(decoder_layer, num_decoder_layers, decoder_norm)
        self.d_model = d_model
        self.nhead = nhead

    def forward(self, src, mask, query_embed, pos_embed):
        bs, c, h, w = src.shape
        src = src.flatten(2).permute(2, 0, 1)
        pos_embed = pos_embed.flatten(2).permute(2, 0, 1)
        query_embed = query_embed.unsqueeze(1).repeat(1, bs, 1)
        mask = mask.flatten(1)

        tgt = torch.zeros_like(query_embed)
        memory = self.encoder(src, src_key_padding_mask=mask, pos=pos_embed)
        hs = self.decoder(tgt, memory, memory_key_padding_mask=mask,
                          pos=pos_embed, query_pos=query_embed)
        return hs.transpose(1, 2), memory.permute(1, 2, 0).view(bs, c, h, w)


class TransformerEncoder(nn.Module):
    def __init__(self, encoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, src, mask: Optional[Tensor] = None,
                src_key_padding_mask: Optional[Tensor] = None, pos: Optional[Tensor] = None):
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask, pos=pos)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(nn.Module):
    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, pos=None, query_pos=None):
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           pos=pos, query_pos=query_pos)
        if self.norm is not None:
            output = self.norm(output)
        return output.unsqueeze(0)


class TransformerEncoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu"):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.activation = _get_activation_fn(activation)

    def with_pos_embed(self, tensor, pos: Optional[Tensor]):
        return tensor if pos is None else tensor + pos

    def forward(self, src, src_mask=None, src_key_padding_mask=None, pos=None):
        # forward_post
        q = k = self.with_pos_embed(src, pos)
        src2 = self.self_attn(q, k, value=src, attn_mask=src_mask,
                              key_padding_mask=src_key_padding_mask)[0]
        src = src + self.dropout1(src2)
        src = self.norm1(src)
        src2 = self.linear2(self.dropout(self.activation(self.linear1(src))))
        src = src + self.dropout2(src2)
        src = self.norm2(src)
        return src


class TransformerDecoderLayer(nn.Module):
    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu"):
        super().__init__()
        self.self_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.multihead_attn = nn.MultiheadAttention(d_model, nhead, dropout=dropout)
        self.linear1 = nn.Linear(d_model, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.norm3 = nn.LayerNorm(d_model)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = _get_activation_fn(activation)

    def with_pos_embed(self, tensor, pos: Optional[Tensor]):
        return tensor if pos is None else tensor + pos

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, pos=None, query_pos=None):
        # forward_post
        q = k = self.with_pos_embed(tgt, query_pos)
        tgt2 = self.self_attn(q, k, value=tgt, attn_mask=tgt_mask,
                              key_padding_mask=tgt_key_padding_mask)[0]
        tgt = tgt + self.dropout1(tgt2)
        tgt = self.norm1(tgt)
        tgt2 = self.multihead_attn(query=self.with_pos_embed(tgt, query_pos),
                                   key=self.with_pos_embed(memory, pos),
                                   value=memory, attn_mask=memory_mask,
                                   key_padding_mask=memory_key_padding_mask)[0]
        tgt = tgt + self.dropout2(tgt2)
        tgt = self.norm2(tgt)
        tgt2 = self.linear2(self.dropout(self.activation(self.linear1(tgt))))
        tgt = tgt + self.dropout3(tgt2)
        tgt = self.norm3(tgt)
        return tgt


def _get_clones(module, N):
    return nn.ModuleList([copy.deepcopy(module) for i in range(N)])


def _get_activation_fn(activation):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}.")


# ============================================================ models/detr.py, util/box_ops.py

def box_cxcywh_to_xyxy(x):
    x_c, y_c, w, h = x.unbind(-1)
    b = [(x_c - 0.5 * w), (y_c - 0.5 * h), (x_c + 0.5 * w), (y_c + 0.5 * h)]
    return torch.stack(b, dim=-1)


class MLP(nn.Module):
    def __init__(self, input_dim, hidden_dim, output_dim, num_layers):
        super().__init__()
        self.num_layers = num_layers
        h = [hidden_dim] * (num_layers - 1)
        self.layers = nn.ModuleList(nn.Linear(n, k) for n, k in zip([input_dim] + h, h + [output_dim]))

    def forward(self, x):
        for i, layer in enumerate(self.layers):
            x = F.relu(layer(x)) if i < self.num_layers - 1 else layer(x)
        return x


class DETR(nn.Module):
    def __init__(self, backbone, transformer, num_classes, num_queries):
        super().__init__()
        self.num_queries = num_queries
        self.transformer = transformer
        hidden_dim = transformer.d_model
        self.class_embed = nn.Linear(hidden_dim, num_classes + 1)
        self.bbox_embed = MLP(hidden_dim, hidden_dim, 4, 3)
        self.query_embed = nn.Embedding(num_queries, hidden_dim)
        self.input_proj = nn.Conv2d(backbone.num_channels, hidden_dim, kernel_size=1)
        self.backbone = backbone

    def forward(self, tensors, mask):
        features, pos = self.backbone(tensors, mask)
        src, mask = features[-1]
        assert mask is not None
        hs = self.transformer(self.input_proj(src), mask, self.query_embed.weight, pos[-1])[0]
        outputs_class = self.class_embed(hs)
        outputs_coord = self.bbox_embed(hs).sigmoid()
        return {'pred_logits': outputs_class[-1], 'pred_boxes': outputs_coord[-1]}


class PostProcess(nn.Module):
    @torch.no_grad()
    def forward(self, outputs, target_sizes):
        out_logits, out_bbox = outputs['pred_logits'], outputs['pred_boxes']
        assert len(out_logits) == len(target_sizes)
        assert target_sizes.shape[1] == 2
        prob = F.softmax(out_logits, -1)
        scores, labels = prob[..., :-1].max(-1)
        boxes = box_cxcywh_to_xyxy(out_bbox)
        img_h, img_w = target_sizes.unbind(1)
        scale_fct = torch.stack([img_w, img_h, img_w, img_h], dim=1)
        boxes = boxes * scale_fct[:, None, :]
        return [{'scores': s, 'labels': l, 'boxes': b} for s, l, b in zip(scores, labels, boxes)]


# ============================================================ building, random weights

def build(cfg):
    assert cfg["dim"] % cfg["heads"] == 0 and cfg["dim"] % 2 == 0
    layers = [cfg["blocks1"], cfg["blocks2"], cfg["blocks3"], cfg["blocks4"]]
    backbone = Joiner(Backbone(cfg["width"], layers),
                      PositionEmbeddingSine(cfg["dim"] // 2, normalize=True))
    backbone.num_channels = backbone[0].num_channels
    transformer = Transformer(d_model=cfg["dim"], nhead=cfg["heads"],
                              num_encoder_layers=cfg["enc_layers"],
                              num_decoder_layers=cfg["dec_layers"],
                              dim_feedforward=cfg["ffn"], dropout=0.1)
    return DETR(backbone, transformer, cfg["classes"], cfg["queries"]).eval()


@torch.no_grad()
def randomize(model):
    """Seeded random weights at a scale that keeps activations O(1) through the ResNet.

    conv: N(0, sqrt(2 / fan_in)) (He); FrozenBN weight 1 + N(0, 0.1) except bn3 of each
    Bottleneck (0.3 + N(0, 0.05), so the residual stream grows slowly), bias N(0, 0.1),
    running_mean N(0, 0.1), running_var U(0.5, 1.5); Linear weights N(0, 1/sqrt(in)),
    in_proj q and k rows N(0, 2/sqrt(dim)) and v rows N(0, 1/sqrt(dim)) (sharper attention),
    biases N(0, 0.05); LayerNorm weight 1 + N(0, 0.1), bias N(0, 0.05); query_embed N(0, 1).
    See also center_input_proj.
    """
    for name, m in model.named_modules():
        if isinstance(m, FrozenBatchNorm2d):
            if name.endswith("bn3"):
                m.weight.normal_(0.3, 0.05)
            else:
                m.weight.normal_(1.0, 0.1)
            m.bias.normal_(0.0, 0.1)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)
        elif isinstance(m, nn.Conv2d):
            fan_in = m.weight[0].numel()
            m.weight.normal_(0.0, math.sqrt(2.0 / fan_in) if name.startswith("backbone")
                             else 1.0 / math.sqrt(fan_in))
            if m.bias is not None:
                m.bias.normal_(0.0, 0.05)
        elif isinstance(m, nn.MultiheadAttention):
            d = m.embed_dim
            common.fan_in_normal_(m.in_proj_weight[:2 * d], d, gain=2.0)    # q, k: sharper
            common.fan_in_normal_(m.in_proj_weight[2 * d:], d)               # v
            m.in_proj_bias.normal_(0.0, 0.05)
        elif isinstance(m, nn.Linear):          # includes MultiheadAttention.out_proj
            common.fan_in_normal_(m.weight, m.weight.shape[1])
            m.bias.normal_(0.0, 0.05)
        elif isinstance(m, nn.LayerNorm):
            m.weight.normal_(1.0, 0.1)
            m.bias.normal_(0.0, 0.05)
        elif isinstance(m, nn.Embedding):
            m.weight.normal_(0.0, 1.0)


@torch.no_grad()
def center_input_proj(model, image):
    """Data-dependent init of input_proj: bias = -W @ mean(layer4 features) + N(0, 0.05), then
    weight and bias divided by the RMS of the projected features (so src has RMS 1).

    The ReLU features share a large common (positive-mean) component; projected as is, every
    memory token looks alike and all queries end up with the same class and box, which would
    hide query- or token-mixing bugs. Centering makes the tokens (and so the queries) differ.
    The rescale keeps the first encoder layer's attention from getting very sharp on wide
    backbones (ResNet-50 features have RMS ~10), which would make the float32 result itself
    ill-conditioned (torch float32 vs float64 on DETR-R50 at 256x320: 5e-5 without, 9e-6 with).
    """
    mask = torch.zeros(image.shape[0], image.shape[2], image.shape[3], dtype=torch.bool)
    feats, _ = model.backbone(image, mask)
    src = feats[-1][0]
    w = model.input_proj.weight[:, :, 0, 0]
    bias = -(w @ src.mean((0, 2, 3))) + 0.05 * torch.randn(w.shape[0])
    model.input_proj.bias.copy_(bias)
    rms = model.input_proj(src).pow(2).mean().sqrt()
    model.input_proj.weight.div_(rms)
    model.input_proj.bias.div_(rms)


def capture_attention(model):
    """Per-head probabilities of every nn.MultiheadAttention, by module name, as tessera
    compile --expose-attention names its outputs (attention:<name>)."""
    captured = {}
    for name, module in model.named_modules():
        if isinstance(module, nn.MultiheadAttention):
            def forward(*args, _forward=module.forward, _name=name, **kwargs):
                kwargs.update(need_weights=True, average_attn_weights=False)
                out, weights = _forward(*args, **kwargs)
                captured[f"attention_{_name}"] = common.to_numpy(weights)
                return out, weights
            module.forward = forward
    return captured


def run(model, image, cfg):
    b = image.shape[0]
    mask = torch.zeros(b, image.shape[2], image.shape[3], dtype=torch.bool)   # no padding
    with torch.no_grad():
        out = model(image, mask)
        sizes = torch.tensor([[cfg["img_h"], cfg["img_w"]]] * b, dtype=torch.float32)
        res = PostProcess()(out, sizes)
    return {
        "logits": out["pred_logits"],
        "boxes": out["pred_boxes"],
        "scores": torch.stack([r["scores"] for r in res]),
        "labels": torch.stack([r["labels"] for r in res]).to(torch.int64),
        "boxes_xyxy": torch.stack([r["boxes"] for r in res]),
    }


def label_margin(logits):
    """Smallest gap between the best and second-best object-class probability."""
    prob = F.softmax(logits.double(), -1)[..., :-1]
    if prob.shape[-1] < 2:
        return float("inf")
    top2 = torch.topk(prob, 2, dim=-1).values
    return float((top2[..., 0] - top2[..., 1]).min())


def generate(out_dir, cfg, seed):
    common.seed_all(seed)
    model = build(cfg)
    randomize(model)
    image = torch.randn(cfg["batch"], 3, cfg["img_h"], cfg["img_w"])
    center_input_proj(model, image)
    attention = capture_attention(model)
    outs = run(model, image, cfg)
    margin = label_margin(outs["logits"])
    if margin < 1e-4:
        print(f"warning: two class probabilities within {margin:.2e}; `labels` may legitimately "
              f"differ in float32 (try another --seed)", file=sys.stderr)
    sd = model.state_dict()
    assert not any(k.endswith("num_batches_tracked") for k in sd)
    common.write_case(out_dir, cfg, dict(sd), {"image": common.to_numpy(image)},
                      {**{k: common.to_numpy(v) for k, v in outs.items()}, **attention},
                      list(DEFAULTS))


# ============================================================ self-test

def selftest():
    import torchvision
    from torchvision.models.resnet import ResNet, Bottleneck as TVBottleneck
    from torchvision.ops.misc import FrozenBatchNorm2d as TVFrozenBN  # eps arg; DETR's adds 1e-5
    torch.manual_seed(0)
    ok = True
    for layers in ([3, 4, 6, 3], [1, 2, 1, 1]):
        ours = ResNetBody(64, layers).eval()
        randomize(ours)
        tv = ResNet(TVBottleneck, layers, norm_layer=lambda n: TVFrozenBN(n, eps=1e-5)).eval()
        missing, unexpected = tv.load_state_dict(ours.state_dict(), strict=False)
        assert not unexpected and set(missing) == {"fc.weight", "fc.bias"}, (missing, unexpected)
        x = torch.randn(1, 3, 96, 128)
        with torch.no_grad():
            a = ours(x)["0"]
            body = torchvision.models._utils.IntermediateLayerGetter(tv, {"layer4": "0"})
            b = body(x)["0"]
        err = common.rel_l2(a.numpy(), b.numpy())
        print(f"ResNet body width 64 {layers} vs torchvision: rel L2 {err:.2e}")
        ok &= err < 1e-6
    # State dict names of the full DETR-R50 model.
    full = dict(DEFAULTS, width=64, blocks1=3, blocks2=4, blocks3=6, blocks4=3, dim=256, heads=8,
                enc_layers=6, dec_layers=6, ffn=2048, queries=100, classes=91)
    sd = build(full).state_dict()
    n = sum(v.numel() for v in sd.values())
    for k in ("backbone.0.body.conv1.weight", "backbone.0.body.bn1.running_var",
              "backbone.0.body.layer1.0.downsample.0.weight",
              "backbone.0.body.layer4.2.bn3.weight", "input_proj.weight", "query_embed.weight",
              "transformer.encoder.layers.5.self_attn.in_proj_weight",
              "transformer.decoder.layers.5.multihead_attn.out_proj.bias",
              "transformer.decoder.norm.weight", "class_embed.weight",
              "bbox_embed.layers.2.bias"):
        if k not in sd:
            print("missing", k)
            ok = False
    print(f"DETR-R50 state dict: {len(sd)} tensors, {n / 1e6:.2f} M values (incl. BN statistics)")
    print("selftest", "ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    common.check_env()
    if "--selftest" in sys.argv[1:]:
        sys.exit(selftest())
    sys.exit(common.main(__doc__.splitlines()[0], DEFAULTS, generate))
