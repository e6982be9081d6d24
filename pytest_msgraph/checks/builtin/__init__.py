"""The checks that ship with pytest-msgraph, registered through the plugin's own hook."""
from .bn_update_count import BnUpdateCountCheck
from .compiled_hooks import CompiledHooksCheck
from .context_leak import ContextLeakCheck
from .double_forward import DoubleForwardCheck
from .dynamic_shape import DynamicShapeCheck
from .gradcheck import GradcheckCheck
from .graph_syntax import GraphSyntaxCheck
from .input_mutation import InputMutationCheck
from .mixed_precision import MixedPrecisionCheck
from .parity.mode_parity import ModeParityCheck
from .recompile import RecompileCheck
from .stale_attribute import StaleAttributeCheck
from .torch_parity import TorchParityCheck


def pytest_msgraph_register_checks(registry, config):
    registry.add(DoubleForwardCheck())
    registry.add(BnUpdateCountCheck())
    registry.add(DynamicShapeCheck())
    registry.add(StaleAttributeCheck())  # before mode_parity, which names what it saw as a cause
    registry.add(ModeParityCheck())
    registry.add(CompiledHooksCheck())
    registry.add(GraphSyntaxCheck())
    registry.add(ContextLeakCheck())
    registry.add(RecompileCheck())
    registry.add(TorchParityCheck())
    registry.add(MixedPrecisionCheck())
    registry.add(InputMutationCheck())
    registry.add(GradcheckCheck())
