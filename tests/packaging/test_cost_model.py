"""infra/COST.md is what `python -m infra.cost` prints (plus its reading), every price names its source and the
region it is for, and the model counts what the template creates (alarms, the KMS key, interface endpoints)."""

from __future__ import annotations

import pytest

from infra import cost
from tests.packaging.conftest import ROOT

pytestmark = pytest.mark.packaging


def test_cost_md_holds_what_the_script_computes():
    printed = cost.report(cost.PRICES, cost.ASSUMPTIONS)
    assert printed in (ROOT / "infra" / "COST.md").read_text(), "run `python -m infra.cost` and paste its output"


def test_every_price_names_its_region_and_source():
    assert cost.REGION == "ap-east-1"
    assert set(cost.SOURCES) == set(cost.PRICES)
    for name, (region, source) in cost.SOURCES.items():
        assert region and "https://" in source, name
        # a figure for another region says so, and that the deploy region's was not found
        assert region in ("ap-east-1", "no region stated") or "ap-east-1 not found" in region, name


def test_the_model_counts_what_the_template_creates(template):
    resources = template["Resources"].values()
    alarms = sum(1 for r in resources if r["Type"] == "AWS::CloudWatch::Alarm")
    assert cost.ASSUMPTIONS["alarms"] == alarms
    interface = sorted(r["Properties"]["ServiceName"]["Fn::Sub"].rsplit(".", 1)[1] for r in resources
                       if r["Type"] == "AWS::EC2::VPCEndpoint" and r["Properties"]["VpcEndpointType"] == "Interface")
    assert sorted(cost.INTERFACE_ENDPOINTS) == interface
    keys = [r for r in resources if r["Type"] == "AWS::KMS::Key"]
    idle = cost.idle(cost.PRICES, cost.ASSUMPTIONS, vpc=True)
    assert len(keys) == 1 and any(k.startswith("KMS data key") for k in idle)
    endpoints = next(v for k, v in idle.items() if k.startswith("Interface endpoints"))
    assert endpoints == pytest.approx(cost.HOURS * 2 * len(interface) * cost.PRICES["interface_endpoint_hour_az"])
