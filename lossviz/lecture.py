"""The lecture's settings as named scenes (LECTURE.md), shared by the notebooks and the tests."""

from __future__ import annotations

from lossviz.scenes import SCENES, RunSpec, Scene

SCENES.update(
    {
        "rosenbrock_race": Scene(
            surface="rosenbrock",
            runs=[
                RunSpec("gd", 1e-3),
                RunSpec("momentum", 1e-3, {"momentum": 0.9}),
                RunSpec("rmsprop", 1e-2),
                RunSpec("adam", 5e-2),
            ],
            steps=300,
            title="Four optimizers in Rosenbrock's crescent valley",
        ),
    }
)
