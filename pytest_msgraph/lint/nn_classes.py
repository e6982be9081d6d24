"""What MindSpore 2.10's ``mindspore.nn`` holds, for MSG007 and MSG008 (pure data, measured).

``RANDOM_INIT``: the classes two instances of which, built alike, start with
different parameter values (measured by building each class twice with small
arguments and comparing every parameter; the Transformer stacks hold the layers that
do). Building one of these in graph code draws new weights per PYNATIVE_MODE call.
Every other class is parameter-free (Softmax, AvgPool2d) or starts from fixed values
(LayerNorm, BatchNorm2d, PReLU): building it in ``construct`` is harmless.

``NAMES``: every public class name, so that a name MindSpore no longer has
(``nn.ResizeBilinear``) is said to be missing. When MindSpore is already imported
(under pytest), the installed version is asked instead. tests/test_lint.py measures
both sets again on the installed MindSpore.
"""
from __future__ import annotations

import sys
from typing import Optional

MEASURED_ON = "2.10"

NAMES = frozenset("""
    ASGD Accuracy AdaFactor AdaMax AdaSumByDeltaWeightWrapCell AdaSumByGradWrapCell Adadelta Adagrad
    Adam AdamOffload AdamWeightDecay AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d
    AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d AvgPool1d AvgPool1dExt AvgPool2d
    AvgPool2dExt AvgPool3d AvgPool3dExt BCELoss BCEWithLogitsLoss BatchNorm1d BatchNorm2d
    BatchNorm3d BiDense BleuScore CELU CTCLoss Cell CellDict CellList CentralCrop ChannelShuffle
    ClipByNorm ConfusionMatrix ConfusionMatrixMetric ConstantPad1d ConstantPad2d ConstantPad3d
    Conv1d Conv1dTranspose Conv2d Conv2dBnAct Conv2dThor Conv2dTranspose Conv3d Conv3dTranspose
    CosineDecayLR CosineEmbeddingLoss CosineSimilarity CrossEntropyLoss Dense DenseBnAct DenseThor
    DiGamma Dice DiceLoss DistributedGradReducer Dropout Dropout1d Dropout2d Dropout2dExt Dropout3d
    DropoutExt DynamicLossScaleUpdateCell ELU Embedding EmbeddingExt EmbeddingLookup
    EmbeddingLookupThor EmbeddingThor ExponentialDecayLR F1 FTRL FastGelu Fbeta
    FixedLossScaleUpdateCell Flatten FocalLoss ForwardValueAndGrad FractionalMaxPool2d
    FractionalMaxPool3d GELU GLU GRU GRUCell GaussianNLLLoss GetNextSingleOp GradAccumulationCell
    GraphCell GroupNorm HShrink HSigmoid HSwish Hardtanh HausdorffDistance HingeEmbeddingLoss
    HuberLoss IGamma Identity ImageGradients InstanceNorm1d InstanceNorm2d InstanceNorm3d
    InverseDecayLR Jvp KLDivLoss L1Loss L1LossExt L1Regularizer LARS LBeta LGamma LPPool1d LPPool2d
    LRN LSTM LSTMCell Lamb LayerNorm LayerNormExt LazyAdam LeakyReLU Linear LogSigmoid LogSoftmax
    LogSoftmaxExt Loss LossBase MAE MAELoss MSE MSELoss MSSSIM MarginRankingLoss MatDet MatInverse
    MatMul MatrixDiag MatrixDiagPart MatrixSetDiag MaxPool1d MaxPool2d MaxPool2dExt MaxPool3d
    MaxUnpool1d MaxUnpool2d MaxUnpool3d MeanSurfaceDistance Metric MicroBatchInterleaved Mish
    Moments Momentum MultiClassDiceLoss MultiFieldEmbeddingLookup MultiLabelSoftMarginLoss
    MultiMarginLoss MultiheadAttention MultilabelMarginLoss NLLLoss NaturalExpDecayLR Norm
    OcclusionSensitivity OneHot OptTFTWrapper Optimizer PReLU PReLUExt PSNR Pad ParameterUpdate
    Perplexity PipelineCell PipelineGradReducer PixelShuffle PixelUnshuffle PoissonNLLLoss
    PolynomialDecayLR Precision ProximalAdagrad RMSELoss RMSProp RNN RNNCell ROC RReLU Range ReLU
    ReLU6 Recall ReduceLogSumExp ReflectionPad1d ReflectionPad2d ReflectionPad3d ReplicationPad1d
    ReplicationPad2d ReplicationPad3d Roll RootMeanSquareDistance Rprop SGD SSIM SampledSoftmaxLoss
    SeLU SequentialCell SiLU Sigmoid SmoothL1Loss SoftMarginLoss SoftShrink Softmax Softmax2d
    SoftmaxCrossEntropyWithLogits Softmin Softsign SparseTensorDenseMatmul SparseToDense
    SyncBatchNorm Tanh Tanhshrink Threshold TimeDistributed Top1CategoricalAccuracy
    Top5CategoricalAccuracy TopKCategoricalAccuracy TrainOneStepCell TrainOneStepWithLossScaleCell
    Transformer TransformerDecoder TransformerDecoderLayer TransformerEncoder
    TransformerEncoderLayer Tril TripletMarginLoss TripletMarginWithDistanceLoss Triu Unflatten
    Unfold Upsample VirtualDatasetCellTriple Vjp WarmUpLR WithEvalCell WithGradCell WithLossCell
    ZeroPad2d
""".split())

RANDOM_INIT = frozenset("""
    BiDense Conv1d Conv1dTranspose Conv2d Conv2dBnAct Conv2dThor Conv2dTranspose Conv3d
    Conv3dTranspose Dense DenseBnAct DenseThor Embedding EmbeddingExt EmbeddingLookup
    EmbeddingLookupThor EmbeddingThor GRU GRUCell LSTM LSTMCell Linear MultiFieldEmbeddingLookup
    MultiheadAttention RNN RNNCell Transformer TransformerDecoder TransformerDecoderLayer
    TransformerEncoder TransformerEncoderLayer
""".split())


# Classes MindSpore removed: (the release that removed it, the one that deprecated it, what replaces it), from
# MindSpore's API change tables (nn.ResizeBilinear: "Deleted" in r2.3.0rc1); absent in 2.7.2 and 2.10 (measured).
REMOVED = {
    "ResizeBilinear": ("2.3", "2.0", "ops.interpolate(x, size, mode='bilinear') (or ops.ResizeBilinearV2)"),
}


def missing_words(shown: str, name: str) -> dict[str, str]:
    """MSG008's values for ``nn.<name>``: the version asked, and when MindSpore removed it if known."""
    version = f" (MindSpore {MEASURED_ON})" if "mindspore.nn" not in sys.modules else ""
    removed, deprecated, _ = REMOVED.get(name, ("", "", ""))
    said = f"; MindSpore {removed} removed it (deprecated since {deprecated})" if removed else ""
    return {"name": shown, "version": version, "removed": said}


def missing_fix(name: str) -> str:
    if name in REMOVED:
        return f"Use {REMOVED[name][2]} instead of nn.{name}."
    return "Use the name your MindSpore has (see mindspore.nn's API change tables for what replaced it)."


def kind(name: str) -> Optional[str]:
    """``"random"``, ``"fixed"`` (parameter-free or fixed start) or ``"missing"`` for ``nn.<name>``; None
    for a lowercase name (a function, not a class)."""
    if not name[:1].isupper():
        return None
    loaded = sys.modules.get("mindspore.nn")  # never imported here: the lint reads source only
    present = hasattr(loaded, name) if loaded is not None else name in NAMES
    if not present:
        return "missing"
    return "random" if name in RANDOM_INIT else "fixed"
