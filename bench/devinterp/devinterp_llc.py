"""devinterp 1.3.2's λ̂ on the models of test/fixtures, for comparing with `pipeline llc`.

Never run by the tests. It needs PyTorch (Debian bookworm: `apt-get install python3-torch
python3-onnx python3-tqdm python3-cloudpickle`) and devinterp 1.3.2's source on PYTHONPATH
(its `src/` folder; the PyPI package pins a newer torch than Debian's). Two modes:

  sample FAMILY SETTINGS.json SEED          devinterp with its own randomness (seed SEED)
  replay FAMILY SUMMARY.json RANDOMNESS     devinterp on the noise and minibatch rows that
                                            `pipeline llc … --randomness RANDOMNESS` drew

  speed FAMILY THREADS CORES STEPS           devinterp's chain-steps per second (bench/sgld.ts)

Each prints one JSON line: init_loss, per-chain λ̂ and their mean (sample: also the loss on
all rows at the model's weights). FAMILY is `seed` (the
seed transformer, test/fixtures/seed-step5500) or a folder of test/fixtures/torch-exports.
SETTINGS.json holds lr, nbeta (a number or "auto"), localization, batch_size, num_chains,
num_draws, num_burnin_steps, num_steps_bw_draws and loss ("mse" or "ce"), as `pipeline llc`
takes them. bench/devinterp-compare.ts drives this script.
"""
import contextlib
import json
import os
import struct
import sys
import time

import numpy as np
import torch
from torch import nn

# Debian's torch 1.13 refuses float16 autocast on CPU even when it is disabled, and devinterp
# enters it (disabled) on every step.
torch.autocast = lambda *a, **k: contextlib.nullcontext()

from devinterp.optim.sgld import SGLD  # noqa: E402
from devinterp.optim.sgmcmc import SGMCMC  # noqa: E402
from devinterp.slt.llc import LLCEstimator  # noqa: E402
from devinterp.slt.sampler import estimate_learning_coeff_with_summary  # noqa: E402
import devinterp.backends.default.slt.sampler as devinterp_sampler  # noqa: E402
from devinterp.utils import get_init_loss_multi_batch  # noqa: E402

torch.set_num_threads(1)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "test", "fixtures")
# Importing make.py must not leave a __pycache__ in the repository.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(FIXTURES, "torch-exports"))
import make as torch_exports  # noqa: E402

DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, v in header.items():
        if name == "__metadata__":
            continue
        start, end = v["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[8 + n + start:8 + n + end], dtype=DTYPES[v["dtype"]]).reshape(v["shape"]).copy())
    return out


class SeedModel(nn.Module):
    """The seed transformer of SPEC.md §2 with dropout 0, PyTorch's parameter names."""

    def __init__(self):
        super().__init__()
        self.embedding = nn.Embedding(26, 64)
        self.pos_embedding = nn.Embedding(10, 64)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(64, 4, 48, dropout=0.0, batch_first=True) for _ in range(2)])
        self.fc = nn.Linear(64, 1)
        self.register_buffer("mask", torch.triu(torch.ones(10, 10), 1).bool(), persistent=False)

    def forward(self, x):
        h = self.embedding(x) + self.pos_embedding(torch.arange(x.size(1)))
        for layer in self.layers:
            h = layer(h, src_mask=self.mask)
        return torch.sigmoid(self.fc(h).squeeze(-1))


def onnx_initializers(path):
    import onnx
    from onnx import numpy_helper
    return [(i.name, torch.from_numpy(numpy_helper.to_array(i).copy())) for i in onnx.load(path).graph.initializer]


def torch_names_of_onnx(model, inits):
    """ONNX initializer name → (torch parameter name, transposed). The exporter keeps a
    parameter's name unless it feeds a MatMul, which gets it transposed under a new name; those
    are matched in module order to the unnamed initializers of the transposed shape."""
    params = dict(model.named_parameters())
    mapping, unnamed = {}, [(n, v) for n, v in inits if n not in params]
    for name, p in params.items():
        if name in dict(inits):
            mapping[name] = (name, False)
            continue
        match = next((n for n, v in unnamed if p.dim() == 2 and tuple(v.shape) == tuple(p.shape[::-1])), None)
        if match is None:
            raise SystemExit(f"no ONNX initializer holds {name} {tuple(p.shape)}")
        unnamed = [(n, v) for n, v in unnamed if n != match]
        mapping[match] = (name, True)
    return mapping


def load_family(family):
    """(model, x, y, ONNX→torch mapping) of a fixture, its weights those of its model.onnx."""
    if family == "seed":
        folder = os.path.join(FIXTURES, "seed-step5500")
        model, data = SeedModel(), read_safetensors(os.path.join(folder, "train.safetensors"))
        model.load_state_dict(read_safetensors(os.path.join(folder, "weights.safetensors")))
    else:
        folder = os.path.join(FIXTURES, "torch-exports", family)
        model, data = torch_exports.MODELS[family][0](), read_safetensors(os.path.join(folder, "data.safetensors"))
    inits = onnx_initializers(os.path.join(folder, "model.onnx"))
    mapping = torch_names_of_onnx(model, inits)
    params = dict(model.named_parameters())
    with torch.no_grad():
        for onnx_name, value in inits:
            if onnx_name in mapping:
                name, transposed = mapping[onnx_name]
                params[name].copy_(value.t() if transposed else value)
    # The ONNX exports are eval-mode graphs; devinterp samples in train mode, so dropout is
    # turned off to sample the same function.
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            raise SystemExit(f"{family}: BatchNorm samples batch statistics in devinterp's train mode, unlike its ONNX export")
    x, y = data["x"], data["y"]
    return model, x, y, mapping


def evaluate_fn(loss):
    if loss == "ce":
        return lambda model, batch: (nn.functional.cross_entropy(model(batch[0]).flatten(0, -2), batch[1].flatten().long()), {})
    return lambda model, batch: (nn.functional.mse_loss(model(batch[0]), batch[1].reshape(model(batch[0]).shape)), {})


def optimizer_kwargs(s):
    kw = {"lr": s["lr"], "localization": s["localization"]}
    if s["nbeta"] != "auto":
        kw["nbeta"] = float(s["nbeta"])
    return kw


def full_loss(model, x, y, evaluate):
    with torch.no_grad():
        return float(evaluate(model, (x, y))[0])


def run_sample(family, settings_path, seed):
    s = json.load(open(settings_path))
    model, x, y, _ = load_family(family)
    evaluate = evaluate_fn(s.get("loss", "mse"))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=s["batch_size"], shuffle=True)
    # estimate_learning_coeff_with_summary takes init_loss from the first num_chains batches of
    # the shuffled loader, drawn from torch's global generator, which is the same in every fresh
    # process: seeded here so that each run draws its own, as each of ours does. The value is
    # computed as devinterp computes it and passed on.
    torch.manual_seed(seed)
    init_loss = get_init_loss_multi_batch(loader, s["num_chains"], model, evaluate, "cpu")
    r = estimate_learning_coeff_with_summary(
        model, loader, evaluate=evaluate, sampling_method=SGLD, optimizer_kwargs=optimizer_kwargs(s),
        num_draws=s["num_draws"], num_chains=s["num_chains"], num_burnin_steps=s["num_burnin_steps"],
        num_steps_bw_draws=s["num_steps_bw_draws"], init_loss=init_loss, seed=seed, verbose=False)
    chains = [float(r[f"llc-chain/{i}"]) for i in range(s["num_chains"])]
    return {"seed": seed, "init_loss": init_loss, "full_loss": full_loss(model, x, y, evaluate), "llc_per_chain": chains, "llc_mean": float(np.mean(chains))}


class Batches:
    """A loader that yields the given rows of (x, y), in order; len() is one pass."""

    def __init__(self, x, y, batches, per_pass):
        self.x, self.y, self.batches, self.per_pass = x, y, batches, per_pass

    def __iter__(self):
        return ((self.x[b], self.y[b]) for b in self.batches)

    def __len__(self):
        return self.per_pass


# `pipeline llc --sampler` → devinterp's sampling method (rmsprop_sgld: α 0.99, eps 0.1, its defaults).
SAMPLERS = {"sgld": SGLD, "rmsprop_sgld": SGMCMC.rmsprop_sgld}


def split_rows(rows, sizes):
    return list(torch.split(rows, [int(n) for n in sizes]))


def run_replay(family, summary_path, randomness_path):
    s = json.load(open(summary_path))
    drawn = read_safetensors(randomness_path)
    model, x, y, mapping = load_family(family)
    evaluate = evaluate_fn(s["loss"])
    per_pass = -(-x.shape[0] // s["batch_size"])
    init = split_rows(drawn["init/rows"], drawn["init/sizes"])
    if s["init_loss_from"] == "full":
        init_loss = full_loss(model, x, y, evaluate)
    else:
        init_loss = get_init_loss_multi_batch(Batches(x, y, init, per_pass), len(init), model, evaluate, "cpu")

    # Our flat noise vector, in `pipeline llc`'s weight order, cut into torch's parameters.
    params = dict(model.named_parameters())
    layout, offset = {}, 0
    for w in s["weights"]:
        size = int(np.prod(w["shape"]))
        torch_name, transposed = mapping[w["name"]]
        layout[torch_name] = (offset, w["shape"], transposed)
        offset += size
    order = [name for name, _ in model.named_parameters()]

    # sample_single_chain evaluates default_nbeta(loader) even when nβ is given, and that
    # accepts only a DataLoader; the value is never used here.
    devinterp_sampler.default_nbeta = lambda *args, **kwargs: s["nbeta"]
    estimator = LLCEstimator(s["num_chains"], s["num_draws"], init_loss, "cpu", nbeta=s["nbeta"])
    real_normal = torch.normal
    for c in range(s["num_chains"]):
        noise = drawn[f"chain{c}/noise"]
        calls = iter(range(noise.shape[0] * len(order)))

        def fed_normal(*args, size=None, **kwargs):
            # devinterp's SGLD draws one normal tensor per parameter per step, in module order.
            i = next(calls)
            step, name = divmod(i, len(order))
            start, shape, transposed = layout[order[name]]
            v = noise[step, start:start + int(np.prod(shape))].reshape(shape)
            v = v.t() if transposed else v
            assert tuple(v.shape) == tuple(size), (order[name], v.shape, size)
            return v.contiguous() * kwargs.get("std", 1.0)

        torch.normal = fed_normal
        try:
            devinterp_sampler.sample_single_chain(
                model, Batches(x, y, split_rows(drawn[f"chain{c}/rows"], drawn[f"chain{c}/sizes"]), per_pass), evaluate,
                {"lr": s["lr"], "nbeta": s["nbeta"], "localization": s["localization"], "weight_decay": s["weight_decay"], "noise_level": s["noise_level"]},
                num_draws=s["num_draws"], num_burnin_steps=s["num_burnin_steps"], num_steps_bw_draws=s["num_steps_bw_draws"],
                sampling_method=SAMPLERS[s["sampler"]], chain=c, seed=None, verbose=False, callbacks=[estimator])
        finally:
            torch.normal = real_normal
        assert next(calls, None) is None, "devinterp drew fewer normals than the run holds"
    estimator.finalize()
    r = estimator.get_results()
    chains = [float(r[f"llc-chain/{i}"]) for i in range(s["num_chains"])]
    return {"init_loss": init_loss, "llc_per_chain": chains, "llc_mean": float(np.mean(chains))}


def run_speed(family, threads, cores, steps):
    """devinterp's SGLD chain-steps per second on the seed fixture's sampling workload (ε 1e-3,
    nβ 2, γ 5, batch 256): 2·cores chains of `steps` draws, torch on `threads` threads, its
    chains in `cores` processes (devinterp's own `cores`); a short run first warms it up."""
    torch.set_num_threads(threads)
    model, x, y, _ = load_family(family)
    evaluate = evaluate_fn("mse")
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, y), batch_size=256, shuffle=True)
    kw = {"lr": 1e-3, "nbeta": 2.0, "localization": 5.0}

    def run(draws, chains):
        started = time.perf_counter()
        estimate_learning_coeff_with_summary(
            model, loader, evaluate=evaluate, sampling_method=SGLD, optimizer_kwargs=kw, num_draws=draws, num_chains=chains,
            num_burnin_steps=0, num_steps_bw_draws=1, init_loss=0.0, seed=0, cores=cores, verbose=False)
        return time.perf_counter() - started

    run(10, 1)
    chains = 2 * cores
    return {"threads": threads, "cores": cores, "chains": chains, "steps": steps, "chain_steps_per_s": chains * steps / run(steps, chains)}


if __name__ == "__main__":
    mode, family, a, b = sys.argv[1:5]
    if mode == "speed":
        result = run_speed(family, int(a), int(b), int(sys.argv[5]))
    else:
        result = run_sample(family, a, int(b)) if mode == "sample" else run_replay(family, a, b)
    print(json.dumps(result))
