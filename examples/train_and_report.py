"""An example pipeline to try the extension with: prepare data, train, report.

Compile it into ``train_and_report.yaml`` (what the side panel and ``%kfp upload`` take):

    python train_and_report.py

The steps are lightweight Python components, so the compiled package runs on any KFP 2.x
cluster; against the local sandbox a run goes PENDING, RUNNING, SUCCEEDED without executing.
"""

from kfp import compiler, dsl


@dsl.component(base_image="python:3.11-slim")
def prepare(rows: int) -> int:
    """Pretend to load a data set; returns how many rows it kept."""
    return max(rows - rows // 10, 0)


@dsl.component(base_image="python:3.11-slim")
def train(rows: int, learning_rate: float, epochs: int) -> float:
    """Pretend to train; returns an accuracy that grows with data and epochs."""
    return min(0.99, 0.5 + rows / 100_000 + epochs * learning_rate)


@dsl.component(base_image="python:3.11-slim")
def report(accuracy: float, threshold: float) -> str:
    """Say whether the model is good enough to ship."""
    verdict = "ship it" if accuracy >= threshold else "keep training"
    return f"accuracy {accuracy:.3f}: {verdict}"


@dsl.pipeline(name="train-and-report", description="Prepare data, train a model, report whether it ships.")
def train_and_report(rows: int = 10_000, learning_rate: float = 0.01, epochs: int = 5,
                     threshold: float = 0.6) -> None:
    data = prepare(rows=rows)
    model = train(rows=data.output, learning_rate=learning_rate, epochs=epochs)
    report(accuracy=model.output, threshold=threshold)


if __name__ == "__main__":
    compiler.Compiler().compile(train_and_report, "train_and_report.yaml")
