"""Address plan and names of the lab: pure data, no system access.

Only 198.18.0.0/15 (management) and the documentation ranges (ISPs, internet) are used, so nothing
the lab does can collide with or leak toward a real network.
"""
from __future__ import annotations

from dataclasses import dataclass

MAX_APPLIANCES = 31  # a /29 per appliance in each ISP /24: 8*31+7 = 255

MGMT_BRIDGE = "azb-mgmt"
MGMT_HOST_ADDR = "198.18.0.1"
MGMT_PREFIX = 24
APT_CACHE_PORT = 3142

INET_NS = "azb-inet"
INET_BRIDGE = "core"
INET_ROUTER_ADDR = "203.0.113.254"
INET_PREFIX = 24
# Services of the "internet" namespace, each an address on its core bridge.
INET_WEB = "203.0.113.10"        # HTTP: / banner, /ip echoes the client's source address
INET_DNS = "203.0.113.53"        # dnsmasq answering *.internet.test
INET_PING_TARGETS = ("203.0.113.1", "203.0.113.2", "203.0.113.3")
INET_DOMAIN = "internet.test"

ISP_RANGES = {1: "192.0.2", 2: "198.51.100"}


@dataclass(frozen=True)
class Isp:
    appliance: str
    index: int            # 1 or 2
    netns: str
    wan_ifname: str       # the appliance side of the customer link
    wan_address: str      # appliance address on the customer link
    gateway: str          # ISP address on the customer link
    prefix: int
    network: str
    uplink_address: str   # ISP address on the internet core bridge
    inet_port: str        # its veth end inside the internet namespace


@dataclass(frozen=True)
class Appliance:
    index: int
    name: str             # also the hostname and the nspawn machine name
    netns: str
    mgmt_host_ifname: str
    mgmt_address: str
    isps: tuple


def appliance(index: int) -> Appliance:
    if not 1 <= index <= MAX_APPLIANCES:
        raise ValueError(f"appliance index {index} outside 1..{MAX_APPLIANCES}")
    name = f"lab-a{index}"
    isps = []
    for n, base in ISP_RANGES.items():
        net = 8 * index  # a /29 per appliance and ISP
        isps.append(Isp(
            appliance=name,
            index=n,
            netns=f"azb-a{index}-isp{n}",
            wan_ifname=f"wan{n}",
            wan_address=f"{base}.{net + 2}",
            gateway=f"{base}.{net + 1}",
            prefix=29,
            network=f"{base}.{net}/29",
            uplink_address=f"203.0.113.{100 + 2 * index + (n - 1)}",
            inet_port=f"a{index}i{n}",
        ))
    return Appliance(
        index=index,
        name=name,
        netns=f"azb-a{index}",
        mgmt_host_ifname=f"azbm-a{index}",
        mgmt_address=f"198.18.0.{10 + index}",
        isps=tuple(isps),
    )


def client_netns(appliance_index: int, label: str) -> str:
    return f"azb-a{appliance_index}-c-{label}"


def client_port(appliance_index: int, label: str) -> str:
    """The client's veth end inside the appliance (<= 15 chars)."""
    return f"lc-{label}"[:15]


# -- cables between appliances and legacy routers (198.19.0.0/16) -----------------------------------
# A cable between lab-aI and lab-aJ (I < J) is 198.19.I.(4J)/30: I takes .4J+1, J takes .4J+2. The
# third octet 0 is the legacy routers' block: lab-aI's legacy router is 198.19.0.(4I)/30.
CABLE_PREFIX = "lk-"      # the appliance's end of a cable (kept across a reboot, like a NIC)
LINK_NS_PREFIX = "azb-l"
LEGACY_IFNAME = "lk-legacy"


@dataclass(frozen=True)
class Link:
    low: int
    high: int
    netns: str            # the wire: a bridge in its own namespace, so a cable can be cut silently
    low_ifname: str       # in lab-a<low>: lk-a<high>
    high_ifname: str      # in lab-a<high>: lk-a<low>
    low_address: str
    high_address: str
    low_port: str         # the wire's ports (in netns)
    high_port: str


def link(i: int, j: int) -> Link:
    if i == j:
        raise ValueError("a cable joins two different appliances")
    lo, hi = sorted((i, j))
    for k in (lo, hi):
        if not 1 <= k <= MAX_APPLIANCES:
            raise ValueError(f"appliance index {k} outside 1..{MAX_APPLIANCES}")
    return Link(low=lo, high=hi, netns=f"{LINK_NS_PREFIX}{lo}-{hi}",
                low_ifname=f"{CABLE_PREFIX}a{hi}", high_ifname=f"{CABLE_PREFIX}a{lo}",
                low_address=f"198.19.{lo}.{4 * hi + 1}/30", high_address=f"198.19.{lo}.{4 * hi + 2}/30",
                low_port=f"a{lo}", high_port=f"a{hi}")


def links_of(index: int, netns_names) -> list:
    """The cables of appliance ``index`` among existing namespace names."""
    out = []
    for ns in netns_names:
        if not ns.startswith(LINK_NS_PREFIX):
            continue
        ends = ns[len(LINK_NS_PREFIX):].split("-")
        if len(ends) == 2 and all(e.isdigit() for e in ends) and index in (int(ends[0]), int(ends[1])):
            out.append(link(int(ends[0]), int(ends[1])))
    return out


@dataclass(frozen=True)
class Legacy:
    appliance: int
    netns: str
    ifname: str           # its end of the cable (in its namespace)
    address: str          # its address on the cable
    appliance_address: str  # the appliance's address on the cable (lk-legacy)
    lans: tuple           # the networks behind it (private, inside its namespace only)


def legacy(index: int) -> Legacy:
    if not 1 <= index <= MAX_APPLIANCES:
        raise ValueError(f"appliance index {index} outside 1..{MAX_APPLIANCES}")
    return Legacy(appliance=index, netns=f"azb-a{index}-legacy", ifname="eth0",
                  address=f"198.19.0.{4 * index + 2}/30", appliance_address=f"198.19.0.{4 * index + 1}/30",
                  lans=(f"172.20.{index}.1/24", f"172.21.{index}.1/24"))


# -- segments shared by several appliances (HA pairs: a zone segment, a WAN segment) ---------------
# A segment is a bridge in its own namespace; each member appliance gets one cable to it (its port
# survives a reboot like wan1); clients plug into the segment, not into one appliance. A WAN segment
# also has a router: an address on the segment and an uplink into the lab internet.
SEGMENT_PORT_PREFIX = "ls-"
SEGMENT_BRIDGE = "seg"
SEGMENT_NAME_MAX = 8


def valid_segment_name(name: str) -> bool:
    return 1 <= len(name) <= SEGMENT_NAME_MAX and name.isalnum() and name.islower() and name[0].isalpha()


def segment_netns(name: str) -> str:
    return f"azb-seg-{name}"


def segment_port(name: str) -> str:
    """The member appliance's end of its cable to the segment (<= 15 chars)."""
    return f"{SEGMENT_PORT_PREFIX}{name}"


def segment_member_port(appliance_index: int) -> str:
    """The segment's end of a member's cable."""
    return f"m-a{appliance_index}"


def segment_uplink_port(name: str) -> str:
    """A WAN segment router's uplink, inside the internet namespace."""
    return f"sg-{name}"


def segment_client_netns(name: str, label: str) -> str:
    return f"azb-seg-{name}-c-{label}"


def segments_of(segments: list, names: set) -> list:
    """The segments (records with ``members``: appliance indexes) that lose a member when the
    appliances ``names`` are removed: a segment goes with the first member that goes."""
    idx = {int(n.rsplit("a", 1)[1]) for n in names if n.startswith("lab-a")}
    return [s for s in segments if idx & set(s["members"])]
