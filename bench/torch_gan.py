"""PyTorch peer of src/trainer/bench.ts: the same two GAN training steps, timed on the CPU.

Architectures, batch sizes, loss and optimizers mirror the comment at the top of bench.ts; change
both or neither. Standalone it prints one JSON line of medians:
  {"torch": "<version>", "threads": {"1": {"dcgan_ms": ..., "ring_ms": ..., "dcgan_reuse_fake_ms": ...,
   "ring_reuse_fake_ms": ...}, "2": {...}}}
With --serve it times blocks of steps on request (see serve()); that is how bench.ts runs it.

Run with Debian's interpreter, which has python3-torch: /usr/bin/python3 bench/torch_gan.py
Install libopenblas0-pthread too, or torch falls back to the reference BLAS (about 3x slower).
"""
import argparse
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

LEAKY_ALPHA = 0.2
# Keras momentum 0.9 means new = 0.9 * old + 0.1 * batch; torch counts the other way round.
BN_MOMENTUM = 0.1


def dcgan(latent=64):
    g = nn.Sequential(
        nn.Linear(latent, 7 * 7 * 64, bias=False),  # [B, 3136]
        nn.BatchNorm1d(7 * 7 * 64, momentum=BN_MOMENTUM),
        nn.LeakyReLU(LEAKY_ALPHA),
        nn.Unflatten(1, (64, 7, 7)),  # [B, 64, 7, 7]
        # padding=2, output_padding=1 is Keras' 'same' for 5x5 stride 2: 7 -> 14 -> 28.
        nn.ConvTranspose2d(64, 32, 5, stride=2, padding=2, output_padding=1, bias=False),  # [B, 32, 14, 14]
        nn.BatchNorm2d(32, momentum=BN_MOMENTUM),
        nn.LeakyReLU(LEAKY_ALPHA),
        nn.ConvTranspose2d(32, 1, 5, stride=2, padding=2, output_padding=1),  # [B, 1, 28, 28]
        nn.Tanh(),
    )
    d = nn.Sequential(
        nn.Conv2d(1, 32, 5, stride=2, padding=2),  # [B, 32, 14, 14]
        nn.LeakyReLU(LEAKY_ALPHA),
        nn.Conv2d(32, 64, 5, stride=2, padding=2),  # [B, 64, 7, 7]
        nn.LeakyReLU(LEAKY_ALPHA),
        nn.Flatten(),
        nn.Linear(7 * 7 * 64, 1),  # logit
    )
    return g, d


def ring_mlp(latent=2):
    g = nn.Sequential(
        nn.Linear(latent, 128), nn.ReLU(),
        nn.Linear(128, 128), nn.ReLU(),
        nn.Linear(128, 2),
    )
    d = nn.Sequential(
        nn.Linear(2, 128), nn.LeakyReLU(LEAKY_ALPHA),
        nn.Linear(128, 128), nn.LeakyReLU(LEAKY_ALPHA),
        nn.Linear(128, 1),
    )
    return g, d


def make_step(g, d, lr, real, noise, reuse_fake=False):
    """One D update on a real and a fake batch, then one G update through the updated D.

    The default is GAN Studio's step (src/trainer/gan.ts and bench.ts): the G update draws fresh
    noise and runs G forward again, so G runs forward twice per step (the D half needs no G
    gradient, hence no_grad, PyTorch's cheapest way). reuse_fake=True is the PyTorch DCGAN
    example's step: one G forward whose graph is kept for the G update; bench.ts reports it too.
    """
    opt_d = torch.optim.Adam(d.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(g.parameters(), lr=lr, betas=(0.5, 0.999))

    def step():
        x = real()
        z = noise()
        if reuse_fake:
            fake = g(z)
        else:
            with torch.no_grad():
                fake = g(z)
        # L_D = mean softplus(-D(x)) + mean softplus(D(G(z)))
        opt_d.zero_grad(set_to_none=True)
        loss_d = F.softplus(-d(x)).mean() + F.softplus(d(fake.detach())).mean()
        loss_d.backward()
        opt_d.step()
        # L_G = mean softplus(-D(G(z'))); D's weights need no gradient here.
        opt_g.zero_grad(set_to_none=True)
        for p in d.parameters():
            p.requires_grad_(False)
        loss_g = F.softplus(-d(fake if reuse_fake else g(noise()))).mean()
        loss_g.backward()
        for p in d.parameters():
            p.requires_grad_(True)
        opt_g.step()
        return loss_d.item(), loss_g.item()

    return step


def dcgan_step(batch=64, latent=64, reuse_fake=False):
    g, d = dcgan(latent)
    images = torch.rand(batch, 1, 28, 28) * 2 - 1
    return make_step(g, d, 2e-4, lambda: images, lambda: torch.randn(batch, latent), reuse_fake)


def ring_step(batch=256, latent=2, reuse_fake=False):
    g, d = ring_mlp(latent)

    def real():
        angle = torch.rand(batch, 1) * 2 * torch.pi
        return torch.cat([torch.cos(angle), torch.sin(angle)], 1) + 0.05 * torch.randn(batch, 2)

    return make_step(g, d, 1e-3, real, lambda: torch.randn(batch, latent), reuse_fake)


def time_steps(step, steps, warmup, cpu_ms=None):
    """Wall ms per step; with a list `cpu_ms`, also appends each step's process CPU ms (all threads)."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        step()
        times.append((time.perf_counter() - t0) * 1000)
        if cpu_ms is not None:
            cpu_ms.append((time.process_time() - c0) * 1000)
    return times


def serve(warmup):
    """Answers one JSON request per stdin line, {"model": "dcgan"|"ring", "threads": n, "steps": k,
    "reuse": bool (optional, default false)}, with {"ms": [...], "cpu_ms": [...]} (wall and process
    CPU time per step). bench.ts interleaves these
    blocks with its own, so that both sides see the
    same background load; each (model, threads) keeps its networks and optimizer between blocks."""
    steps = {}
    print(json.dumps({"torch": torch.__version__}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        key = (req["model"], int(req["threads"]), bool(req.get("reuse", False)))
        torch.set_num_threads(key[1])
        fresh = key not in steps
        if fresh:
            steps[key] = dcgan_step(reuse_fake=key[2]) if key[0] == "dcgan" else ring_step(reuse_fake=key[2])
        cpu_ms = []
        ms = time_steps(steps[key], int(req["steps"]), warmup if fresh else 0, cpu_ms)
        print(json.dumps({"ms": ms, "cpu_ms": cpu_ms}), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--threads", default="1,2", help="comma-separated torch thread counts to try")
    ap.add_argument("--serve", action="store_true", help="answer timing requests on stdin (used by bench.ts)")
    args = ap.parse_args()
    torch.manual_seed(0)
    if args.serve:
        serve(args.warmup)
        return
    result = {"torch": torch.__version__, "threads": {}}
    for n in [int(t) for t in args.threads.split(",")]:
        torch.set_num_threads(n)
        result["threads"][str(n)] = {
            "dcgan_ms": statistics.median(time_steps(dcgan_step(), args.steps, args.warmup)),
            "ring_ms": statistics.median(time_steps(ring_step(), args.steps, args.warmup)),
            "dcgan_reuse_fake_ms": statistics.median(time_steps(dcgan_step(reuse_fake=True), args.steps, args.warmup)),
            "ring_reuse_fake_ms": statistics.median(time_steps(ring_step(reuse_fake=True), args.steps, args.warmup)),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
