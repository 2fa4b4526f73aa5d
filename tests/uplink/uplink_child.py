"""A device process for the crash test: opens the real store, runs the uplink until killed.

    python uplink_child.py DATA_DIR BROKER_URL CA CERT KEY
"""

import sys
import time
from pathlib import Path

from alpr_edge.config import StoreSection, UplinkSection
from alpr_edge.store import Store
from alpr_edge.uplink import TlsFiles, Uplink


def main() -> None:
    data_dir, broker, ca, cert, key = sys.argv[1:6]
    store = Store.open(Path(data_dir), StoreSection(), dev_keys=True, uplink_enabled=True)
    uplink = Uplink(UplinkSection(broker=broker, reconnect_min_s=0.1, reconnect_max_s=0.4, in_flight=16),
                    agency="test-agency", device_id="car-7", store=store, tls=TlsFiles(Path(ca), Path(cert), Path(key)),
                    hotlist_sink=None, hotlist_public_key=None, seal_public_key=None, state_dir=Path(data_dir) / "uplink")
    uplink.start()
    while True:
        status = uplink.status()
        print(status["state"], status["acknowledged"], status["backlog"], flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main()
