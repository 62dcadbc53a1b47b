"""The character-level LSTM (Benjamin's heart): embedding -> stacked LSTM -> linear head. Pure torch, no I/O."""
from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    vocab_size: int = 80  # characters, index 0 = unknown
    embed: int = 64  # character embedding width
    hidden: int = 256  # LSTM hidden units per layer
    layers: int = 2  # stacked LSTM layers
    dropout: float = 0.1  # between LSTM layers and before the head (training only)

    def to_dict(self) -> dict:
        return asdict(self)


# Model presets: tiny for tests, base for short CPU budgets (it learns the most in 5 minutes on 2 cores),
# small for CPU (the shipped checkpoints), large for a GPU.
PRESETS: dict[str, ModelConfig] = {
    "tiny": ModelConfig(embed=16, hidden=64, layers=1, dropout=0.0),
    "base": ModelConfig(embed=64, hidden=256, layers=2, dropout=0.1),
    "small": ModelConfig(embed=48, hidden=384, layers=2, dropout=0.1),
    "large": ModelConfig(embed=128, hidden=768, layers=3, dropout=0.2),
}


class CharLSTM(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        self.embed = nn.Embedding(config.vocab_size, config.embed)
        self.lstm = nn.LSTM(config.embed, config.hidden, config.layers, batch_first=True,
                            dropout=config.dropout if config.layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def forward(self, ids: torch.Tensor, state=None):
        """ids (B, T) -> logits (B, T, V), new state ((L, B, H), (L, B, H))."""
        x = self.embed(ids)  # (B, T, E)
        y, state = self.lstm(x, state)  # (B, T, H)
        return self.head(self.drop(y)), state

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())


def detach(state):
    """Cut the graph between truncated-BPTT windows."""
    return None if state is None else tuple(s.detach() for s in state)


class Stepper:
    """One character per call for a batch of takes, with the weights packed once for it.

    The embedding is folded into layer 0's input projection (one (4H,) row per symbol), each later layer's
    input and recurrent weights are one matrix, and the state lives here between calls. On CPU the matrices
    are packed for FBGEMM's int8 GEMM when this torch has it (see _Linear), else kept as fp32. A few times
    cheaper per character than ``model(x, state)`` with T=1 at sampling batch sizes, where nn.LSTM's per-call
    overhead and fp32 weights dominate (bench/bench_writer.py measures it)."""

    def __init__(self, model: CharLSTM):
        lstm, self.hidden = model.lstm, model.config.hidden
        with torch.no_grad():
            table = model.embed.weight @ lstm.weight_ih_l0.t() + lstm.bias_ih_l0 + lstm.bias_hh_l0  # (V, 4H)
            self.table = table.float().contiguous()
            self.layers = [_Linear(lstm.weight_hh_l0, None)]
            for layer in range(1, lstm.num_layers):
                w = torch.cat([getattr(lstm, f"weight_ih_l{layer}"), getattr(lstm, f"weight_hh_l{layer}")], 1)
                self.layers.append(_Linear(w, getattr(lstm, f"bias_ih_l{layer}") + getattr(lstm, f"bias_hh_l{layer}")))
            self.head = _Linear(model.head.weight, model.head.bias)
        self.h: list[torch.Tensor] = []
        self.c: list[torch.Tensor] = []

    def reset(self, state) -> None:
        """Start from ``state`` = (h, c), each (L, B, H), as nn.LSTM returns it."""
        self.h = [s.float().clone() for s in state[0].unbind(0)]
        self.c = [s.float().clone() for s in state[1].unbind(0)]

    @torch.no_grad()
    def step(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B,) -> logits (B, V); the state moves on by one character."""
        x = None
        for layer, linear in enumerate(self.layers):
            if layer == 0:
                gates = self.table.index_select(0, ids).add_(linear(self.h[0]))  # (B, 4H) in i, f, g, o order
            else:
                gates = linear(torch.cat([x, self.h[layer]], 1))
            x, self.c[layer] = _cell(gates, self.c[layer], self.hidden)
            self.h[layer] = x
        return self.head(x)


def _cell(gates: torch.Tensor, c: torch.Tensor, hidden: int) -> tuple[torch.Tensor, torch.Tensor]:
    """LSTM gate arithmetic: gates (B, 4H), c (B, H) -> h, c (B, H)."""
    s = torch.sigmoid(gates)
    c = torch.addcmul(s[:, hidden:2 * hidden] * c, s[:, :hidden], torch.tanh(gates[:, 2 * hidden:3 * hidden]))
    return s[:, 3 * hidden:] * torch.tanh(c), c


def _fbgemm() -> bool:
    return "fbgemm" in torch.backends.quantized.supported_engines and hasattr(torch.ops.quantized, "linear_prepack")


class _Linear:
    """y = x W^T + b for x (B, in). On CPU with FBGEMM: int8 weights (one scale per output row) with the
    activations quantised per call, the smallest weights to stream through the cache each character (measured
    on held-out text: 0.0004 bits per char from the fp16 weights); elsewhere fp32 addmm."""

    def __init__(self, weight: torch.Tensor, bias: torch.Tensor | None):
        weight, bias = weight.detach().float(), None if bias is None else bias.detach().float()
        self.packed = None
        if weight.device.type == "cpu" and _fbgemm():
            scale = (weight.abs().amax(1).clamp_min(1e-8) / 127).double()
            try:
                with warnings.catch_warnings():  # quantized tensors warn that their API is deprecated
                    warnings.simplefilter("ignore")
                    q = torch.quantize_per_channel(weight, scale, torch.zeros_like(scale, dtype=torch.long), 0,
                                                   torch.qint8)
                    self.packed = torch.ops.quantized.linear_prepack(q, bias)
            except RuntimeError:  # a build without FBGEMM kernels for this CPU
                self.packed = None
        self.weight = weight.t().contiguous()  # (in, out)
        self.bias = bias

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if self.packed is not None:
            return _LINEAR_INT8(x, self.packed, True)
        return x @ self.weight if self.bias is None else torch.addmm(self.bias, x, self.weight)


# The op's overload itself: calling the packet (torch.ops.quantized.linear_dynamic) costs more Python per call.
_LINEAR_INT8 = torch.ops.quantized.linear_dynamic.default if _fbgemm() else None


class GraphStepper:
    """The Stepper's step captured once as a CUDA graph: one replay per character instead of ~20 kernel
    launches. The state lives in the graph's own tensors and is updated in place."""

    def __init__(self, model: CharLSTM, batch: int):
        device = next(model.parameters()).device
        self.inner = Stepper(model)
        hidden, layers = model.config.hidden, model.config.layers
        self.ids = torch.zeros(batch, dtype=torch.long, device=device)
        self.h = torch.zeros(layers, batch, hidden, device=device)
        self.c = torch.zeros(layers, batch, hidden, device=device)
        self.inner.reset((self.h, self.c))
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):  # warm up (cuBLAS handles, workspaces) before capture
            for _ in range(3):
                self._run()
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            self.logits = self._run()

    @torch.no_grad()
    def _run(self) -> torch.Tensor:
        inner = self.inner
        inner.h, inner.c = list(self.h.unbind(0)), list(self.c.unbind(0))  # views: the step writes into them
        h_prev, c_prev = list(inner.h), list(inner.c)
        logits = inner.step(self.ids)
        for layer in range(len(h_prev)):
            h_prev[layer].copy_(inner.h[layer])
            c_prev[layer].copy_(inner.c[layer])
        return logits

    def reset(self, state) -> None:
        self.h.copy_(state[0])
        self.c.copy_(state[1])

    @torch.no_grad()
    def step(self, ids: torch.Tensor) -> torch.Tensor:
        self.ids.copy_(ids)
        self.graph.replay()
        return self.logits


def make_stepper(model: CharLSTM, batch: int):
    """The fastest stepper for the model's device: a CUDA graph on CUDA, packed weights on CPU."""
    if next(model.parameters()).device.type == "cuda":
        return GraphStepper(model, batch)
    return Stepper(model)
