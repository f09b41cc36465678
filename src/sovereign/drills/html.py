"""The drill report as one self-contained HTML page (no scripts, no external assets), from ``report_json``.

    html = render_html(report_json(run))
"""

from __future__ import annotations

from typing import Any

import json

from jinja2 import ChainableUndefined, Environment, Undefined

__all__ = ["render_html"]

_TEMPLATE = r"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Sovereign lockout drill: {{ doc.scenario }}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2327;max-width:1100px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #dcdcde;padding-bottom:.2em}
h3{margin-top:1.6em}table{border-collapse:collapse;width:100%;margin:.6em 0}
th,td{border:1px solid #dcdcde;padding:.35em .55em;text-align:left;vertical-align:top}th{background:#f6f7f7}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}.ok{color:#00712e;font-weight:600}
.bad{color:#b32d2e;font-weight:600}.muted{color:#646970}.badge{display:inline-block;padding:.1em .6em;border-radius:1em;color:#fff}
.badge.ok{background:#00712e}.badge.bad{background:#b32d2e}code,pre{font:12px ui-monospace,Menlo,monospace}
pre{background:#f6f7f7;padding:.6em;overflow:auto;white-space:pre-wrap}ul{margin:.3em 0}
</style></head><body>
<h1>Lockout drill: {{ doc.scenario }}
 <span class="badge {{ 'ok' if doc.passed else 'bad' }}">{{ 'all targets met' if doc.passed else 'target missed' }}</span></h1>
<p class="muted">Started {{ doc.drill.started_at }} · {{ doc.drill.duration_s }} s · Sovereign {{ doc.drill.sovereign_version }}
 · Python {{ doc.drill.python }} · {{ doc.drill.host }}</p>

<h2>Summary</h2>
<table><tr><th>Scenario</th><th>Orders</th><th>Blocked</th><th>Jobs lost</th><th>Out-of-jurisdiction bytes</th>
<th>Fraud score p99</th><th>Detect</th><th>Degrade</th><th>Recover</th><th>Re-scored</th><th>Audit chain</th><th>Result</th></tr>
{% for s in doc.scenarios %}<tr>
<td><a href="#{{ s.scenario }}">{{ s.scenario }}</a></td><td class="num">{{ s.orders }}</td>
<td class="num {{ 'ok' if s.orders_blocked == 0 else 'bad' }}">{{ s.orders_blocked }}</td>
<td class="num {{ 'ok' if s.jobs_lost == 0 else 'bad' }}">{{ s.jobs_lost }}</td>
<td class="num {{ 'ok' if s.out_of_jurisdiction_bytes == 0 else 'bad' }}">{{ s.out_of_jurisdiction_bytes }}</td>
<td class="num">{{ ms(s.fraud_score_p99_ms) }}</td><td class="num">{{ sec(s.seconds_to_detect) }}</td>
<td class="num">{{ sec(s.seconds_to_degrade) }}</td><td class="num">{{ sec(s.seconds_to_recover) }}</td>
<td class="num">{{ s.rescored_after_recovery }} / {{ s.rules_only_orders }}</td>
<td class="{{ 'ok' if s.audit_chain_ok else 'bad' }}">{{ 'verified' if s.audit_chain_ok else 'NOT verified' }}</td>
<td class="{{ 'ok' if s.passed else 'bad' }}">{{ 'passed' if s.passed else 'failed' }}</td></tr>{% endfor %}
</table>
<p class="muted">Blocked: a checkout's fraud-score call got no usable answer (error, or nothing within 5 s).
Jobs lost: an order with neither a fraud result written by a job nor a pending, running or failed job.
Out-of-jurisdiction bytes: personal values of the burst's orders found in what the {{ doc.drill.topology.providers[0].jurisdiction }}
cloud provider received. Detect and degrade count from the start of the fault, recover from its end.
Re-scored: orders scored on rules only during the fault that got their AI review afterwards.</p>

<h2>Set-up</h2>
<ul>{% for p in doc.drill.topology.providers %}<li>Provider <b>{{ p.name }}</b>: jurisdiction {{ p.jurisdiction }},
priority {{ p.priority }}, customer data {{ p.customer_personal }}.</li>{% endfor %}
<li>Store settings: <code>{{ doc.drill.topology.store_settings | j }}</code>.</li>
<li>Checkout: {{ doc.drill.topology.checkout }}.</li></ul>

{% for s in doc.scenarios %}
<h2 id="{{ s.scenario }}">{{ s.title }} <span class="muted">({{ s.scenario }})</span>
 <span class="badge {{ 'ok' if s.passed else 'bad' }}">{{ 'passed' if s.passed else 'failed' }}</span></h2>
<p><b>What happens:</b> {{ s.what }}<br><b>Expected:</b> {{ s.expected }}</p>
{% if s.error %}<p class="bad">The drill itself failed: {{ s.error }}</p>{% endif %}
<table><tr><th>Target</th><th>Measured</th><th>Required</th><th></th></tr>
{% for t in s.targets %}<tr><td>{{ t.key }}</td><td class="num">{{ t.value }}</td><td>{{ t.target }}</td>
<td class="{{ 'ok' if t.ok else 'bad' }}">{{ 'met' if t.ok else 'missed' }}</td></tr>{% endfor %}</table>
<h3>Checkout and webhooks</h3>
<table><tr><th>Checkout calls</th><th>Answered</th><th>Rules only</th><th>No history</th><th>p50</th><th>p99</th><th>p99 during fault</th><th>Max</th>
<th>Deliveries</th><th>Accepted</th><th>Refused</th><th>Scored by a job</th><th>Failed jobs</th></tr>
<tr><td class="num">{{ s.checkout.calls }}</td><td class="num">{{ s.checkout.answered }}</td><td class="num">{{ s.checkout.rules_only }}</td>
<td class="num">{{ s.checkout.without_history }}</td><td class="num">{{ ms(s.checkout.p50_ms) }}</td><td class="num">{{ ms(s.checkout.p99_ms) }}</td>
<td class="num">{{ ms(s.checkout.p99_ms_during_fault) }}</td><td class="num">{{ ms(s.checkout.max_ms) }}</td>
<td class="num">{{ s.webhooks.deliveries }}</td><td class="num">{{ s.webhooks.accepted }}</td><td class="num">{{ s.webhooks.refused }}</td>
<td class="num">{{ s.orders_scored }}</td><td class="num">{{ s.jobs_failed }}</td></tr></table>
<p class="muted">Rules only: the AI review was wanted but unavailable. No history: the database was unavailable,
the order was scored on its own signals. AI review at checkout: {{ s.checkout.ai_review | j }}. Webhook statuses: {{ s.webhooks.statuses | j }}.</p>
<h3>Timeline</h3>
<table><tr><th style="width:7em">t (s)</th><th>Event</th></tr>
{% for e in s.timeline %}<tr><td class="num">{{ e.t }}</td><td>{{ e.event }}</td></tr>{% endfor %}</table>
<h3>Residency and audit</h3>
<ul><li>{{ s.residency.cloud_completion_calls }} AI call(s) reached the cloud provider; {{ s.residency.requests_searched }} request
bodies searched for {{ s.residency.values_searched }} personal values: <b class="{{ 'ok' if s.out_of_jurisdiction_bytes == 0 else 'bad' }}">{{ s.out_of_jurisdiction_bytes }} bytes found</b>
{% if s.residency.examples_masked %} (e.g. {{ s.residency.examples_masked | join(', ') }}){% endif %}.</li>
<li>Policy: {{ s.residency.policy }}. Values redacted before leaving: {{ s.residency.redacted_values_by_kind | j }}.</li>
<li>Audit log: {{ s.audit.rows }} rows, chain <b class="{{ 'ok' if s.audit_chain_ok else 'bad' }}">{{ 'verified' if s.audit_chain_ok else 'NOT verified' }}</b>;
head {{ s.audit.head }}.</li>
<li>Calls by provider and outcome: {{ s.audit.calls | j }}.</li>
{% for p in s.audit.problems %}<li class="bad">{{ p }}</li>{% endfor %}</ul>
{% if s.notes %}<h3>Notes</h3><ul>{% for n in s.notes %}<li>{% if '\n' in n %}<pre>{{ n }}</pre>{% else %}{{ n }}{% endif %}</li>{% endfor %}</ul>{% endif %}
{% endfor %}

<h2>Compliance evidence</h2>
<p class="muted">{{ doc.compliance.disclaimer }}</p>
<h3>GDPR Article 32: security of processing</h3>
<table><tr><th style="width:12em">Reference</th><th>Requirement</th><th>Evidence from this drill</th><th></th></tr>
{% for a in doc.compliance.gdpr_art_32 %}<tr><td>{{ a.ref }}</td><td>{{ a.requirement }}</td>
<td><ul>{% for e in a.evidence %}<li>{{ e }}</li>{% endfor %}</ul></td>
<td class="{{ 'ok' if a.met else 'bad' }}">{{ 'shown' if a.met else 'not shown' }}</td></tr>{% endfor %}</table>
<h3>NIS2 Article 23: what an incident notification needs</h3>
<ul>{% for k, v in doc.compliance.nis2_art_23.deadlines.items() %}<li><b>{{ k | replace('_', ' ') }}</b>: {{ v }}</li>{% endfor %}</ul>
{% for i in doc.compliance.nis2_art_23.incidents %}
<h3>If "{{ i.scenario }}" happened for real</h3>
<table>
<tr><th style="width:14em">Early warning (24 h)</th><td>
<b>What happened:</b> {{ i.early_warning_24h.what_happened }}<br>
<b>Suspected cause:</b> {{ i.early_warning_24h.suspected_cause }}<br>
<b>Unlawful or malicious:</b> {{ i.early_warning_24h.unlawful_or_malicious }}<br>
<b>Cross-border impact:</b> {{ i.early_warning_24h.cross_border_impact }}</td></tr>
<tr><th>Incident notification (72 h)</th><td>
<b>Severity:</b> {{ i.incident_notification_72h.severity }}<br>
<b>Impact:</b> {{ i.incident_notification_72h.impact }}<br>
<b>Detected / degraded / recovered after:</b> {{ sec(i.incident_notification_72h.detected_after_s) }} /
{{ sec(i.incident_notification_72h.degraded_after_s) }} / {{ sec(i.incident_notification_72h.recovered_after_s) }}<br>
<b>Indicators:</b> {{ i.incident_notification_72h.indicators | join('; ') }}<br>
<b>Indicators of compromise:</b> {{ i.incident_notification_72h.indicators_of_compromise }}</td></tr>
<tr><th>Final report (1 month)</th><td>
<b>Root cause:</b> {{ i.final_report_1_month.root_cause }}<br>
<b>Mitigation applied:</b> {{ i.final_report_1_month.mitigation_applied }}<br>
<b>Audit chain head:</b> <code>{{ i.final_report_1_month.audit_head }}</code></td></tr>
</table>
{% endfor %}
</body></html>
"""


def _missing(v: Any) -> bool:
    return v is None or isinstance(v, Undefined)


def _ms(v: Any) -> str:
    return "–" if _missing(v) else f"{v:,.0f} ms"


def _sec(v: Any) -> str:
    return "–" if _missing(v) else f"{v:g} s"


def _json(v: Any) -> str:
    return "–" if _missing(v) else json.dumps(v, ensure_ascii=False, sort_keys=True)


# A scenario whose drill broke has empty sections: they render as "–", never as an error.
_ENV = Environment(autoescape=True, undefined=ChainableUndefined)
_ENV.globals.update(ms=_ms, sec=_sec)
_ENV.filters["j"] = _json
_COMPILED = _ENV.from_string(_TEMPLATE)


def render_html(doc: dict[str, Any]) -> str:
    return _COMPILED.render(doc=doc)
