"""alpr-edge: an open, auditable automated licence plate reader appliance.

The daemon (`alpr_edge.daemon`) wires the stages together; each stage is a
subpackage with a small public surface:

    capture -> vision -> gps (tagging) -> store / hotlist / alerts -> uplink
"""

__version__ = "0.1.0"
