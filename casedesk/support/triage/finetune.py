"""Fine-tuning the sentence encoder on a help centre's own examples, at index-build time.

The stock all-MiniLM-L6-v2 embedding puts questions about *different* help entries closer together
than a classifier would like (CLINC150 val: 93 % in-scope at 80 % OOS recall with a linear SVM on
top). Training the encoder for a short while on the entries' example questions, with a cosine
softmax head (one unit vector per entry, logits = ``scale`` · cosine), pulls each entry's questions
into a tight cluster around its vector and pushes the clusters apart. Out-of-scope questions then
land between clusters, so "the cosine to the nearest entry vector" becomes a better reason to
escalate, and the linear classifier on the new embeddings a better chooser.

This runs once per index build, on CPU, on a private copy of the transformer (the shared, loaded
model is never modified). Cost: about one forward + backward pass per example per epoch; see
docs/triage.md for the measured build times. Deterministic for a given seed and thread count.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class FineTuneSettings:
    """How long and how hard to fine-tune; chosen on CLINC150 val (docs/triage.md)."""

    epochs: float = 1.0
    # At least this many optimiser steps (8,320 examples seen), so a help centre with few examples
    # is trained for several epochs: 260 is 5 epochs of CLINC150 --shots 10 (1,650 texts).
    min_steps: int = 260
    # No more than this many steps, so a huge help centre's build time stays bounded.
    max_steps: int = 1000
    batch_size: int = 32
    learning_rate: float = 5e-5
    head_learning_rate_factor: float = 50.0
    scale: float = 20.0
    max_length: int = 64
    seed: int = 0


def fine_tune_transformer(
    tokenizer: Any,
    transformer: Any,
    texts: Sequence[str],
    labels: Sequence[int],
    settings: FineTuneSettings,
    progress: Callable[[int], None] | None = None,
) -> tuple[Any, np.ndarray]:
    """A fine-tuned copy of ``transformer`` and the unit class vectors it was trained against.

    ``labels`` are class numbers 0..n-1 (the background class included, if any). The head starts
    at the class centroids of the stock embeddings, so training starts from a sensible classifier.
    """
    import torch

    generator = random.Random(settings.seed)
    torch.manual_seed(settings.seed)
    model = copy.deepcopy(transformer)
    label_array = np.asarray(labels, dtype=np.int64)
    classes = int(label_array.max()) + 1

    model.eval()
    with torch.inference_mode():
        start = torch.as_tensor(
            mean_pooled(tokenizer, model, texts, settings.max_length, batch_size=128), dtype=torch.float32
        )
    centroids = torch.zeros(classes, start.shape[1]).index_add_(0, torch.as_tensor(label_array), start)
    head = torch.nn.Parameter(torch.nn.functional.normalize(centroids, dim=1))

    steps_per_epoch = math.ceil(len(texts) / settings.batch_size)
    steps = int(min(settings.max_steps, max(settings.min_steps, steps_per_epoch * settings.epochs)))
    optimiser = torch.optim.AdamW(
        [
            {"params": list(model.parameters()), "lr": settings.learning_rate},
            {"params": [head], "lr": settings.learning_rate * settings.head_learning_rate_factor},
        ],
        weight_decay=0.01,
    )
    warmup = 0.1 * steps + 1
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / steps)
    )
    targets = torch.as_tensor(label_array)
    order: list[int] = []
    model.train()
    for _ in range(steps):
        if len(order) < settings.batch_size:
            order += generator.sample(range(len(texts)), len(texts))
        batch, order = order[: settings.batch_size], order[settings.batch_size :]
        embedded = _forward(tokenizer, model, [texts[i] for i in batch], settings.max_length)
        logits = settings.scale * embedded @ torch.nn.functional.normalize(head, dim=1).T
        loss = torch.nn.functional.cross_entropy(logits, targets[batch])
        loss.backward()
        optimiser.step()
        scheduler.step()
        optimiser.zero_grad()
        if progress:
            progress(len(batch))
    model.eval()
    vectors = torch.nn.functional.normalize(head.detach(), dim=1).numpy().astype(np.float32)
    return model, vectors


def _forward(tokenizer: Any, model: Any, texts: Sequence[str], max_length: int) -> Any:
    import torch

    features = tokenizer(
        list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt"
    )
    output = model(input_ids=features["input_ids"], attention_mask=features["attention_mask"])[0]
    mask = features["attention_mask"].unsqueeze(-1).to(output.dtype)
    pooled = (output * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


def mean_pooled(
    tokenizer: Any,
    model: Any,
    texts: Sequence[str],
    max_length: int,
    batch_size: int = 64,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Unit-length mean-pooled embeddings, batched by length (padding costs time, not results)."""
    import torch

    result = np.zeros((len(texts), model.config.hidden_size), dtype=np.float32)
    order = np.argsort([len(text) for text in texts], kind="stable")
    with torch.inference_mode():
        for start in range(0, len(texts), batch_size):
            chosen = order[start : start + batch_size]
            embedded = _forward(tokenizer, model, [texts[i] for i in chosen], max_length)
            result[chosen] = embedded.numpy()
            if progress:
                progress(len(chosen))
    return result
