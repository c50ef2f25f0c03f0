"""MUSE's adversarial alignment of two static spaces (Conneau et al. 2018, "Word translation
without parallel data"; TreLM's embedding aligning is the same game), in PyTorch on the CPU:
the dictionary-free initialisation `alignment.unsupervised.init: adversarial`.

- mapping: a square linear map, identity-initialised; x @ W lands in z's space (W is the
  transpose of MUSE's mapping.weight). After each mapping step it is pulled towards the
  orthogonal matrices: W <- (1 + beta) W - beta W W^T W.
- discriminator: input dropout 0.1, 2 hidden layers of 2048 with LeakyReLU(0.2), one logit;
  trained to tell mapped x rows (label 1 - smooth) from z rows (label smooth), smooth 0.1.
- each iteration: `dis_steps` discriminator steps, then one mapping step that trains W to
  fool it (flipped labels, discriminator in eval mode); SGD, lr 0.1 both; batches of
  `batch_size` rows drawn from each space's `most_frequent` rows.
- model selection: every `checkpoint_every` iterations the caller's criterion (MUSE's: mean
  CSLS of the frequent words' nearest translations) scores W; the best W is returned. As in
  MUSE the mapping lr decays by `lr_decay` at each checkpoint and is halved from the second
  time the criterion falls below the best on.

Only the schedule is cut: MUSE trains 5 epochs of 1M samples (about 156k iterations); the
default here, 500 iterations, is about 0.3 % of that and takes about 1.5 minutes on one
core. Deterministic for a seed on a fixed thread count: a numpy Generator draws the batches,
and torch's generator is seeded inside a fork (the caller's state is left as it was).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


def _discriminator(d: int, hidden: int, layers: int, input_dropout: float) -> nn.Sequential:
    modules: list[nn.Module] = [nn.Dropout(input_dropout)]
    width = d
    for _ in range(layers):
        modules += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
        width = hidden
    return nn.Sequential(*modules, nn.Linear(width, 1))  # the sigmoid is in the loss


def adversarial_map(
    x: np.ndarray,
    z: np.ndarray,
    criterion: Callable[[np.ndarray], float],
    seed: int = 0,
    *,
    iterations: int = 500,
    checkpoints: int = 5,
    most_frequent: int = 20000,
    batch_size: int = 32,
    dis_steps: int = 5,
    map_beta: float = 0.001,
    map_lr: float = 0.1,
    dis_lr: float = 0.1,
    hidden: int = 2048,
    dis_layers: int = 2,
    input_dropout: float = 0.1,
    dis_smooth: float = 0.1,
    lr_decay: float = 0.98,
    lr_shrink: float = 0.5,
    threads: int = 1,
) -> tuple[np.ndarray, list[dict]]:
    """The map W (d, d), x @ W in z's space, with the best `criterion(W)` among the
    checkpoints (the identity start is logged, never chosen), and the log: per checkpoint
    the discriminator's loss and accuracy, the mapping loss, the criterion, the mapping lr,
    ||W^T W - I|| and the seconds so far. x, z: rows in frequency order, centred and unit."""
    started = time.time()
    d = x.shape[1]
    if z.shape[1] != d:
        raise ValueError(f"the adversarial map is square: dimensions {x.shape[1]} and {z.shape[1]} differ")
    every = max(1, iterations // checkpoints)
    xt = torch.from_numpy(np.array(x[:most_frequent], dtype=np.float32))
    zt = torch.from_numpy(np.array(z[:most_frequent], dtype=np.float32))
    rng = np.random.default_rng(seed)
    labels = torch.cat([torch.full((batch_size,), 1 - dis_smooth), torch.full((batch_size,), dis_smooth)])
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    log: list[dict] = []
    best_w, best = np.eye(d, dtype=np.float32), -np.inf
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            w = nn.Parameter(torch.eye(d))
            dis = _discriminator(d, hidden, dis_layers, input_dropout)
            map_opt = torch.optim.SGD([w], lr=map_lr)
            dis_opt = torch.optim.SGD(dis.parameters(), lr=dis_lr)

            def batch() -> tuple[torch.Tensor, torch.Tensor]:
                return (
                    xt[torch.from_numpy(rng.integers(0, len(xt), batch_size))],
                    zt[torch.from_numpy(rng.integers(0, len(zt), batch_size))],
                )

            def record(iteration: int, seen: dict) -> np.ndarray:
                current = w.detach().numpy().copy()
                log.append(
                    {
                        "iteration": iteration,
                        **{key: float(np.mean(values)) if values else None for key, values in seen.items()},
                        "criterion": criterion(current),
                        "map_lr": map_opt.param_groups[0]["lr"],
                        "orthogonality": float(np.linalg.norm(current.T.astype(np.float64) @ current - np.eye(d))),
                        "seconds": round(time.time() - started, 2),
                    }
                )
                return current

            fresh = lambda: {"dis_loss": [], "dis_accuracy": [], "map_loss": []}  # noqa: E731
            record(0, fresh())
            seen, dropped_once = fresh(), False
            for iteration in range(1, iterations + 1):
                dis.train()
                dis.requires_grad_(True)
                for _ in range(dis_steps):
                    xb, zb = batch()
                    with torch.no_grad():
                        inputs = torch.cat([xb @ w, zb])
                    logits = dis(inputs).squeeze(1)
                    loss = F.binary_cross_entropy_with_logits(logits, labels)
                    dis_opt.zero_grad(set_to_none=True)
                    loss.backward()
                    dis_opt.step()
                    seen["dis_loss"].append(loss.item())
                    seen["dis_accuracy"].append(float(((logits > 0) == (labels > 0.5)).float().mean()))
                dis.eval()
                dis.requires_grad_(False)  # the mapping step needs W's gradient only
                xb, zb = batch()
                loss = F.binary_cross_entropy_with_logits(dis(torch.cat([xb @ w, zb])).squeeze(1), 1 - labels)
                map_opt.zero_grad(set_to_none=True)
                loss.backward()
                map_opt.step()
                with torch.no_grad():
                    w.copy_((1 + map_beta) * w - map_beta * w @ (w.T @ w))
                seen["map_loss"].append(loss.item())
                if iteration % every == 0 or iteration == iterations:
                    current = record(iteration, seen)
                    seen = fresh()
                    if log[-1]["criterion"] > best:
                        best_w, best = current, log[-1]["criterion"]
                    group = map_opt.param_groups[0]
                    group["lr"] *= lr_decay
                    if log[-1]["criterion"] < best:
                        if dropped_once:
                            group["lr"] *= lr_shrink
                        dropped_once = True
    finally:
        torch.set_num_threads(previous_threads)
    return best_w, log
