"""IHE XDM packages (IHE_XDM.ZIP): building and reading."""

from app.protocols.xdm.packer import pack_xdm
from app.protocols.xdm.reader import read_xdm

__all__ = ["pack_xdm", "read_xdm"]
