# Compile the tiny ViT (the random timm weights of its test fixture), run it on a generated
# PNG, print the top-5 classes.
# From the repository root: PYTHONPATH=build/python python3 docs/examples/classify.py
import numpy as np
import tessera

y, x = np.mgrid[0:48, 0:64]
tessera.image.save("photo.png", np.stack([x * 4, y * 5, (x + y) * 2], -1).astype(np.uint8))

vit = tessera.compile("models/vit.tg", defines={"img_size": 32, "patch": 8, "dim": 64,
                      "depth": 2, "heads": 4, "mlp": 128, "classes": 10},
                      weights="tests/fixtures/vit_tiny/weights.safetensors")
print(vit)
image = tessera.image.to_tensor("photo.png", vit.inputs[0].shape, preset="inception")
logits = vit(image=image)[vit.outputs[0].name][0]
probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
for c in np.argsort(-probs, kind="stable")[:5]:
    print("class %d  %.4f" % (c, probs[c]))
