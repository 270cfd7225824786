"""The README's Python example is docs/examples/classify.py, runs, and agrees with the CLI."""
import os
import re
import subprocess
import sys

from conftest import REPO

import tessera.compiler


def test_readme_shows_the_example_file():
    readme = open(os.path.join(REPO, "README.md")).read()
    block = re.search(r"<!-- classify.py: .*? -->\n```python\n(.*?)```", readme, re.S)
    assert block, "README lost the classify.py block"
    assert block.group(1) == open(os.path.join(REPO, "docs/examples/classify.py")).read()


def test_example_runs_and_matches_tessera_run(tmp_path):
    for name in ("models", "tests"):
        os.symlink(os.path.join(REPO, name), tmp_path / name)
    env = dict(os.environ)
    result = subprocess.run([sys.executable, os.path.join(REPO, "docs/examples/classify.py")],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, text=True, check=True)
    python_top5 = re.findall(r"^class (\d+)  ([0-9.]+)$", result.stdout, re.M)
    assert len(python_top5) == 5
    compiler = tessera.compiler.compiler_path()
    subprocess.run([compiler, "compile", "models/vit.tg", "-o", "vit.tsm", "-D", "img_size=32",
                    "-D", "patch=8", "-D", "dim=64", "-D", "depth=2", "-D", "heads=4",
                    "-D", "mlp=128", "-D", "classes=10",
                    "--weights", "tests/fixtures/vit_tiny/weights.safetensors"],
                   cwd=tmp_path, check=True)
    cli = subprocess.run([compiler, "run", "vit.tsm", "--input", "image=photo.png",
                          "--preset", "inception", "--topk", "5"], cwd=tmp_path,
                         stdout=subprocess.PIPE, text=True, check=True).stdout
    cli_top5 = re.findall(r"class (\d+)\s+score\s+\S+\s+softmax ([0-9.]+)", cli)
    assert cli_top5 == python_top5
