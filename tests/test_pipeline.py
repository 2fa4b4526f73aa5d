import threading

from alpr_edge.pipeline import DropOldestQueue


def test_queue_drops_the_oldest_and_counts_it():
    q = DropOldestQueue(3)
    dropped = [q.put(i) for i in range(5)]
    assert dropped == [False, False, False, True, True]
    assert q.dropped == 2
    assert [q.get(0), q.get(0), q.get(0)] == [2, 3, 4]
    assert q.get(timeout=0.01) is None


def test_queue_never_grows_beyond_its_size():
    q = DropOldestQueue(4)
    for i in range(10_000):
        q.put(i)
    assert len(q) == 4 and q.dropped == 9_996


def test_get_returns_none_once_closed_and_drained():
    q = DropOldestQueue(2)
    q.put("last")
    q.close()
    assert q.get(timeout=1) == "last"
    assert q.get(timeout=1) is None


def test_a_waiting_consumer_wakes_on_put():
    q = DropOldestQueue(2)
    got = []
    consumer = threading.Thread(target=lambda: got.append(q.get(timeout=5)))
    consumer.start()
    q.put("frame")
    consumer.join(2)
    assert got == ["frame"]
