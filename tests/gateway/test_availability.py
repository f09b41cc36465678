from sovereign.gateway.availability import Admission, Availability
from sovereign.gateway.config import DegradedSettings

from .clock import Clock


def make(clock: Clock, switches: list, **kw: object) -> Availability:
    settings = DegradedSettings(**{"slo": 0.9, "min_samples": 10, "window_s": 60.0, "trial_interval_s": 5.0, **kw})
    return Availability(settings, clock=clock, on_switch=lambda *a: switches.append(a))


def test_needs_minimum_samples_before_judging() -> None:
    clock, switches = Clock(), []
    a = make(clock, switches)
    for _ in range(9):
        a.record("f", False)
    assert not a.is_degraded("f") and switches == []
    a.record("f", False)
    assert a.is_degraded("f")
    assert switches[0][:2] == ("f", True) and "SLO" in switches[0][2] and switches[0][3] == 0.0


def test_degrades_below_slo_and_refuses_then_admits_one_trial_per_interval() -> None:
    clock, switches = Clock(), []
    a = make(clock, switches)
    for _ in range(18):
        a.record("f", True)
    for _ in range(2):
        a.record("f", False)  # 18/20 = 0.9: not below the SLO
    assert not a.is_degraded("f")
    a.record("f", False)  # 18/21 < 0.9
    assert a.is_degraded("f")
    assert a.admit("f") is Admission.REFUSED
    assert a.admit("other") is Admission.NORMAL  # per feature
    clock.advance(5.0)
    assert a.admit("f") is Admission.TRIAL
    assert a.admit("f") is Admission.REFUSED  # one trial at a time
    a.record("f", False, trial=True)
    assert a.admit("f") is Admission.REFUSED
    clock.advance(5.0)
    assert a.admit("f") is Admission.TRIAL
    a.record("f", True, trial=True)
    assert not a.is_degraded("f")
    assert switches[-1][:3] == ("f", False, "trial call succeeded")
    assert a.ratio("f") == 1.0  # a fresh window: old failures do not pull it straight back


def test_arm_trials_lets_a_trial_through_now() -> None:
    clock, switches = Clock(), []
    a = make(clock, switches, min_samples=1)
    a.record("f", False)
    assert a.admit("f") is Admission.REFUSED
    a.arm_trials()
    assert a.admit("f") is Admission.TRIAL
    a.cancel_trial("f")
    assert a.admit("f") is Admission.TRIAL


def test_window_forgets_old_failures() -> None:
    clock, switches = Clock(), []
    a = make(clock, switches)
    for _ in range(5):
        a.record("f", False)
    clock.advance(61.0)
    for _ in range(9):
        a.record("f", True)
    a.record("f", False)  # 9/10 in the window: exactly at the SLO
    assert not a.is_degraded("f")


def test_per_feature_slo_and_status() -> None:
    clock, switches = Clock(), []
    a = make(clock, switches, slo_per_feature={"lenient": 0.5})
    for _ in range(6):
        a.record("lenient", True)
    for _ in range(4):
        a.record("lenient", False)
    assert not a.is_degraded("lenient")
    s = a.status()["lenient"]
    assert s["availability"] == 0.6 and s["samples"] == 10 and s["slo"] == 0.5 and s["degraded"] is False
