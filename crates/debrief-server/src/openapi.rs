//! The OpenAPI 3 document of the API, served at `/api/v1/openapi.json`.

use serde_json::{Value, json};

fn error_responses(codes: &[u16]) -> Value {
    let mut out = serde_json::Map::new();
    for code in codes {
        let what = match code {
            400 => "Invalid input (code `invalid`)",
            401 => "No token, or an unknown or revoked one (code `unauthorized`)",
            403 => "The token's role may not do this (code `forbidden`)",
            404 => "Not found (code `not_found`)",
            409 => {
                "Conflicts with what is stored (code `conflict`, or `blocked` for a refused publish)"
            }
            413 => "The body is over 1 MiB (code `too_large`)",
            _ => "Error",
        };
        out.insert(
            code.to_string(),
            json!({ "description": what, "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
    }
    Value::Object(out)
}

fn with_errors(ok: Value, codes: &[u16]) -> Value {
    let mut all = error_responses(codes);
    if let (Value::Object(all), Value::Object(ok)) = (&mut all, ok) {
        all.extend(ok);
    }
    all
}

fn json_ok(code: &str, description: &str, schema: Value) -> Value {
    json!({ code: { "description": description,
        "content": { "application/json": { "schema": schema } } } })
}

/// The document.
pub fn document() -> Value {
    let id = json!({ "name": "id", "in": "path", "required": true,
        "schema": { "type": "string" }, "description": "INC-3, or 3" });
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "debrief",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Incidents, blameless reviews and their follow-through. Send a token made by `debrief token create` as `Authorization: Bearer …`."
        },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": {
                "Error": { "type": "object", "required": ["error"], "properties": {
                    "error": { "type": "object", "required": ["code", "message"], "properties": {
                        "code": { "type": "string" }, "message": { "type": "string" } } } } },
                "IncidentSummary": { "type": "object", "properties": {
                    "id": { "type": "string" }, "title": { "type": "string" },
                    "severity": { "type": "string" }, "status": { "type": "string" },
                    "review": { "type": "string" }, "type": { "type": "string" },
                    "near_miss": { "type": "boolean" },
                    "services": { "type": "array", "items": { "type": "string" } },
                    "started": { "type": "string", "format": "date-time", "nullable": true },
                    "actions_open": { "type": "integer" }, "actions_total": { "type": "integer" } } },
                "Incident": { "type": "object", "description": "A whole incident and its review: fields, timeline, factors with whys, lessons, action items, acknowledged lint findings." },
                "Token": { "type": "object", "properties": {
                    "id": { "type": "integer" }, "name": { "type": "string" },
                    "role": { "type": "string", "enum": ["reader", "writer", "admin"] },
                    "prefix": { "type": "string" },
                    "created": { "type": "string", "format": "date-time" },
                    "revoked": { "type": "string", "format": "date-time", "nullable": true },
                    "secret": { "type": "string", "description": "Only in the answer to its creation." } } }
            }
        },
        "security": [ { "bearer": [] } ],
        "paths": {
            "/healthz": { "get": { "summary": "Liveness", "security": [],
                "responses": json_ok("200", "Up", json!({ "type": "object" })) } },
            "/metrics": { "get": { "summary": "Prometheus text format", "security": [],
                "responses": { "200": { "description": "Metrics",
                    "content": { "text/plain": { "schema": { "type": "string" } } } } } } },
            "/api/v1/openapi.json": { "get": { "summary": "This document", "security": [],
                "responses": json_ok("200", "OpenAPI 3", json!({ "type": "object" })) } },
            "/api/v1/incidents": {
              "post": {
                "summary": "Open an incident (writer)",
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["title", "severity"], "properties": {
                        "title": { "type": "string" }, "severity": { "type": "string", "example": "SEV2" },
                        "type": { "type": "string", "enum": ["operational", "launch", "experiment"] },
                        "near_miss": { "type": "boolean" },
                        "services": { "type": "array", "items": { "type": "string" } },
                        "started": { "type": "string" }, "detected": { "type": "string" },
                        "detection": { "type": "string", "enum": ["alert", "customer", "signal", "staff", "other"] },
                        "summary": { "type": "string" }, "impact": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("201", "The incident as stored (its URL in Location)",
                    json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 413]) },
              "get": {
                "summary": "List incidents (reader)",
                "parameters": [
                    { "name": "status", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated statuses" },
                    { "name": "severity", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated severities" },
                    { "name": "service", "in": "query", "schema": { "type": "string" } },
                    { "name": "since", "in": "query", "schema": { "type": "string" }, "description": "A time, or a span back from now: 7d, 24h" },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1 } }
                ],
                "responses": with_errors(json_ok("200", "Incidents, newest first",
                    json!({ "type": "array", "items": { "$ref": "#/components/schemas/IncidentSummary" } })),
                    &[400, 401, 403]) } },
            "/api/v1/incidents/{id}": {
                "get": {
                    "summary": "One incident with its whole review (reader)",
                    "parameters": [id.clone()],
                    "responses": with_errors(json_ok("200", "The incident",
                        json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404]) },
                "patch": {
                    "summary": "Change an incident's fields (writer)",
                    "description": "As `debrief incident edit`: only the fields given change; `impact_metrics` are added by name. Times are RFC 3339 or relative (`-2h`).",
                    "parameters": [id.clone()],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "properties": {
                            "title": { "type": "string" }, "severity": { "type": "string" },
                            "type": { "type": "string" }, "near_miss": { "type": "boolean" },
                            "services": { "type": "array", "items": { "type": "string" } },
                            "started": { "type": "string" }, "detected": { "type": "string" },
                            "mitigated": { "type": "string" }, "resolved": { "type": "string" },
                            "detection": { "type": "string" }, "summary": { "type": "string" },
                            "impact": { "type": "string" }, "notes": { "type": "string" },
                            "impact_metrics": { "type": "object", "additionalProperties": { "type": "number" } } } } } } },
                    "responses": with_errors(json_ok("200", "The incident",
                        json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404, 413]) } },
            "/api/v1/incidents/{id}/similar": { "get": {
                "summary": "Incidents this one resembles, why, and their open action items (reader)",
                "description": "Scored whenever an incident is written: telling words in common, shared services, shared kinds of contributing factor, weak signals promoted into both. The closest five above 0.2.",
                "parameters": [id.clone()],
                "responses": with_errors(json_ok("200", "Closest first: id, title, status, started, score (0-1), reasons (words, services, factors, signals), why, open_actions, actions_total",
                    json!({ "type": "array", "items": { "type": "object" } })), &[400, 401, 403, 404]) } },
            "/api/v1/incidents/{id}/status": { "post": {
                "summary": "Move an incident to a new status (writer)",
                "description": "open → mitigated → resolved → reviewed → closed; backwards only with `reopen: true`. Mitigated and resolved set their time (`at`, default now) when not set yet.",
                "parameters": [id.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["status"], "properties": {
                        "status": { "type": "string" }, "at": { "type": "string" },
                        "reopen": { "type": "boolean" } } } } } },
                "responses": with_errors(json_ok("200", "The incident",
                    json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404]) } },
            "/api/v1/incidents/{id}/factors/{n}/whys": { "post": {
                "summary": "Add a step to a factor's why-chain (writer)",
                "parameters": [id.clone(), { "name": "n", "in": "path", "required": true,
                    "schema": { "type": "string" }, "description": "The factor: F2 or 2" }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["text"], "properties": { "text": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("201", "The incident",
                    json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404]) } },
            "/api/v1/actions/{id}": { "patch": {
                "summary": "Change or close an action item (writer)",
                "description": "As `debrief action edit` and `action done`: only the fields given change. `status` done or wont-do closes the item today; open or in-progress opens it again.",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "A-7" }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "properties": {
                        "title": { "type": "string" }, "kind": { "type": "string" },
                        "owner": { "type": "string" }, "due": { "type": "string" },
                        "link": { "type": "string" },
                        "status": { "type": "string", "enum": ["open", "in-progress", "done", "wont-do"] },
                        "worked": { "type": "boolean", "nullable": true, "description": "Whether the closed item worked; null for not known." } } } } } },
                "responses": with_errors(json_ok("200", "{incident or retro: where it was decided, action: the item as stored, source_open: items that incident or retro still has open}",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/incidents/{id}/review": {
                "get": { "summary": "The review as its Markdown document (reader)",
                    "parameters": [id.clone()],
                    "responses": with_errors(json!({ "200": { "description": "The document",
                        "content": { "text/markdown": { "schema": { "type": "string" } } } } }),
                        &[400, 401, 403, 404]) },
                "put": { "summary": "Replace the review with a Markdown document (writer)",
                    "description": "As `debrief review import`: a document that says published but would not pass the publish gate as written is stored in review, and the answer lists what to fix.",
                    "parameters": [id.clone()],
                    "requestBody": { "required": true, "content": { "text/markdown": { "schema": { "type": "string" } } } },
                    "responses": with_errors(json_ok("200", "created, updated or unchanged; held_in_review when the gate held it",
                        json!({ "type": "object" })), &[400, 401, 403, 409, 413]) } },
            "/api/v1/incidents/{id}/timeline": { "post": {
                "summary": "Add to the timeline (writer)",
                "parameters": [id.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["at", "text"], "properties": {
                        "at": { "type": "string" }, "text": { "type": "string" },
                        "known": { "type": "string", "description": "What was known then" } } } } } },
                "responses": with_errors(json_ok("201", "The incident",
                    json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404]) } },
            "/api/v1/incidents/{id}/factors": { "post": {
                "summary": "Add a contributing factor (writer)",
                "parameters": [id.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["title", "level", "category"], "properties": {
                        "title": { "type": "string" },
                        "level": { "type": "string", "enum": ["technical", "process", "organization"] },
                        "category": { "type": "string" }, "description": { "type": "string" },
                        "whys": { "type": "array", "items": { "type": "string" } } } } } } },
                "responses": with_errors(json_ok("201", "The incident",
                    json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404]) } },
            "/api/v1/incidents/{id}/actions": { "post": {
                "summary": "Add an action item (writer)",
                "parameters": [id.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["title", "kind"], "properties": {
                        "title": { "type": "string" }, "kind": { "type": "string" },
                        "owner": { "type": "string", "description": "A team" },
                        "due": { "type": "string", "format": "date" }, "link": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("201", "The incident",
                    json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404]) } },
            "/api/v1/incidents/{id}/lessons": { "post": {
                "summary": "Add a lesson (writer)",
                "parameters": [id.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["kind", "text"], "properties": {
                        "kind": { "type": "string", "enum": ["went-well", "went-wrong", "lucky"] },
                        "text": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("201", "The incident",
                    json!({ "$ref": "#/components/schemas/Incident" })), &[400, 401, 403, 404]) } },
            "/api/v1/incidents/{id}/review/{step}": { "post": {
                "summary": "Move the review: submit, publish or reopen (writer)",
                "description": "publish is refused with 409 (code `blocked`) and the list of blockers, each with how to fix it, while the publish gate holds it.",
                "parameters": [id.clone(), { "name": "step", "in": "path", "required": true,
                    "schema": { "type": "string", "enum": ["submit", "publish", "reopen"] } }],
                "responses": with_errors(json_ok("200", "The review's state and what still blocks publishing",
                    json!({ "type": "object" })), &[400, 401, 403, 404, 409]) } },
            "/api/v1/incidents/{id}/acks": { "post": {
                "summary": "Acknowledge a lint finding of the review (writer)",
                "parameters": [id.clone()],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["finding", "reason"], "properties": {
                        "finding": { "type": "string", "example": "human-error-1a2b3c4d" },
                        "reason": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("201", "The acknowledgement",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/near-misses": {
                "post": { "summary": "Report a near miss: confidential, no token needed",
                    "description": "Only the text and the day are kept: no name, no address, no session.",
                    "security": [],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["what"], "properties": {
                            "what": { "type": "string" }, "made_possible": { "type": "string" },
                            "stopped_it": { "type": "string" } } } } } },
                    "responses": with_errors(json_ok("201", "Its number and day",
                        json!({ "type": "object" })), &[400, 413]) },
                "get": { "summary": "Near-miss reports, newest first (reader)",
                    "responses": with_errors(json_ok("200", "Reports",
                        json!({ "type": "array", "items": { "type": "object" } })), &[401, 403]) } },
            "/api/v1/actions": { "get": {
                "summary": "List action items (reader)",
                "parameters": [
                    { "name": "status", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated statuses" },
                    { "name": "owner", "in": "query", "schema": { "type": "string" } },
                    { "name": "incident", "in": "query", "schema": { "type": "string" } },
                    { "name": "overdue", "in": "query", "schema": { "type": "boolean" }, "description": "Only items past due and not closed" }
                ],
                "description": "Each item with where it was decided: `incident` (INC-3) or `retro` (RETRO-2), and `source_title`, that incident's or retro's title.",
                "responses": with_errors(json_ok("200", "Action items with their incident or retro",
                    json!({ "type": "array", "items": { "type": "object" } })), &[400, 401, 403]) } },
            "/api/v1/actions/stats": { "get": {
                "summary": "Follow-through of action items (reader)",
                "description": "As `debrief action stats`: totals, closure rate, overdue and stale (open more than 60 days) items, ages in days as medians and 90th percentiles, and closed items whose problem came back.",
                "responses": with_errors(json_ok("200", "total, open, closed, closure_rate, overdue, stale, open_age_median, open_age_p90, time_to_close_median, time_to_close_p90, worked, did_not_work, recurred",
                    json!({ "type": "object" })), &[401, 403]) } },
            "/api/v1/lint": { "post": {
                "summary": "Lint Markdown for blame (reader)",
                "requestBody": { "required": true, "content": { "text/markdown": { "schema": { "type": "string" } } } },
                "responses": with_errors(json_ok("200", "Findings: file, line, column, end_line, end_column, rule, level, message, suggestion, id",
                    json!({ "type": "array", "items": { "type": "object" } })), &[400, 401, 403, 413]) } },
            "/api/v1/search": { "get": {
                "summary": "Search incidents and what was learned from them (reader)",
                "description": "As `debrief search`: titles, summaries, impact, timelines, factors with their whys, lessons, action items and notes. Words match by stem; \"phrases\", prefix* and -excluded words work. Same hits, in the same order, on SQLite and PostgreSQL.",
                "parameters": [
                    { "name": "q", "in": "query", "required": true, "schema": { "type": "string" } },
                    { "name": "service", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated" },
                    { "name": "severity", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated" },
                    { "name": "factor", "in": "query", "schema": { "type": "string" }, "description": "A factor category or level" },
                    { "name": "since", "in": "query", "schema": { "type": "string" }, "description": "A span (90d) or a date" },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200, "default": 20 } }
                ],
                "responses": with_errors(json_ok("200", "total, and hits best first: id, title, severity, status, review, started, score, snippets (field, text, highlights as byte ranges)",
                    json!({ "type": "object" })), &[400, 401, 403]) } },
            "/api/v1/problems": { "get": {
                "summary": "Problems as last computed: incidents that recur as one (reader)",
                "responses": with_errors(json_ok("200", "The largest first: id, title, incidents (oldest first, each computed or linked by hand), shared_factors, open_actions",
                    json!({ "type": "array", "items": { "type": "object" } })), &[401, 403]) } },
            "/api/v1/problems/compute": { "post": {
                "summary": "Compute the problems again (writer)",
                "description": "From the similar-incident scores: incidents that are each other's closest resemblances (0.35 or more) join one problem. Numbers are kept, and so is what was linked or unlinked by hand.",
                "responses": with_errors(json_ok("200", "computed (problems, created, removed) and problems",
                    json!({ "type": "object" })), &[401, 403]) } },
            "/api/v1/problems/{id}": { "get": {
                "summary": "One problem (reader)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "PRB-4" }],
                "responses": with_errors(json_ok("200", "The problem", json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/problems/{id}/incidents": { "post": {
                "summary": "Link an incident to a problem by hand, or keep it out (writer)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["incident", "linked"], "properties": {
                        "incident": { "type": "string" }, "linked": { "type": "boolean" } } } } } },
                "responses": with_errors(json_ok("200", "The problem", json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/metrics": { "get": {
                "summary": "Whether the organization learns, in figures (reader)",
                "description": "As `debrief metrics`: times from start to detection, mitigation, resolution and first publication of the review in minutes (median and 90th percentile), near misses and the near-miss ratio, share of reviews beyond the technical, monitoring gaps, signals promoted, action closure and recurrence; overall or by service, severity or month. The overall figures are also gauges on /metrics.",
                "parameters": [
                    { "name": "since", "in": "query", "schema": { "type": "string" }, "description": "A span (180d) or a date" },
                    { "name": "by", "in": "query", "schema": { "type": "string", "enum": ["all", "service", "severity", "month"], "default": "all" } }
                ],
                "responses": with_errors(json_ok("200", "One row per group", json!({ "type": "array", "items": { "type": "object" } })), &[400, 401, 403]) } },
            "/api/v1/digest": { "get": {
                "summary": "The learning digest (reader)",
                "description": "As `debrief digest`: reviews first published in the window with their lessons, incidents that started in it, new or rising weak signals, overdue action items, problems with an incident in the window, incidents on these days in earlier years, and the failure-bows agenda (offered bows, near-miss reports, incidents marked as near misses).",
                "parameters": [
                    { "name": "since", "in": "query", "schema": { "type": "string", "default": "7d" }, "description": "A span back from until (7d, 2w), or a date or time" },
                    { "name": "until", "in": "query", "schema": { "type": "string" }, "description": "The window's end (default now)" },
                    { "name": "format", "in": "query", "schema": { "type": "string", "enum": ["json", "md", "html"], "default": "json" }, "description": "md: Markdown; html: one document for a mail client" },
                    { "name": "base_url", "in": "query", "schema": { "type": "string" }, "description": "Where links in md and html point (default: this server as the request named it)" }
                ],
                "responses": with_errors(json!({ "200": { "description": "The digest",
                    "content": { "application/json": { "schema": { "type": "object" } },
                                 "text/markdown": { "schema": { "type": "string" } },
                                 "text/html": { "schema": { "type": "string" } } } } }), &[400, 401, 403]) } },
            "/api/v1/bows": {
                "get": { "summary": "Failure bows offered for the digest (reader)",
                    "responses": with_errors(json_ok("200", "[{id, added_on, text}], oldest first",
                        json!({ "type": "array", "items": { "type": "object" } })), &[401, 403]) },
                "post": { "summary": "Offer a failure to tell in the digest's failure-bows slot (writer)",
                    "description": "No name is kept: the person tells it themselves. The day is kept, not the time.",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["text"], "properties": { "text": { "type": "string" } } } } } },
                    "responses": with_errors(json_ok("201", "Its number and day",
                        json!({ "type": "object" })), &[400, 401, 403]) } },
            "/api/v1/bows/{id}": { "delete": {
                "summary": "Remove an offered failure bow: told, or withdrawn (writer)",
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } } ],
                "responses": with_errors(json_ok("200", "Removed",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/experiments": {
                "get": {
                    "summary": "Experiments, the most recent first (reader)",
                    "description": "As `debrief experiment list --json`: kind, hypothesis, blast radius, guardrails, abort criteria, rollback plan, status, outcome (confirmed, refuted, inconclusive, aborted), learnings, links.",
                    "responses": with_errors(json_ok("200", "Experiments",
                        json!({ "type": "array", "items": { "type": "object" } })), &[401, 403]) },
                "post": {
                    "summary": "Plan an experiment (writer; no one's permission needed)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["title", "kind", "hypothesis"], "properties": {
                            "title": { "type": "string" },
                            "kind": { "type": "string", "enum": ["ab-test", "canary", "feature-flag", "chaos", "mvp", "game-day"] },
                            "hypothesis": { "type": "string" }, "blast_radius": { "type": "string" },
                            "guardrails": { "type": "array", "items": { "type": "string" } },
                            "abort_criteria": { "type": "string" }, "rollback_plan": { "type": "string" },
                            "services": { "type": "array", "items": { "type": "string" } } } } } } },
                    "responses": with_errors(json_ok("201", "The experiment as stored",
                        json!({ "type": "object" })), &[400, 401, 403]) } },
            "/api/v1/experiments/{id}": { "get": {
                "summary": "One experiment (reader)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "EXP-3, or 3" }],
                "responses": with_errors(json_ok("200", "The experiment",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/experiments/import": { "post": {
                "summary": "Import a Chaos Toolkit experiment or the journal of its run (writer)",
                "description": "As `debrief experiment import`: an experiment is planned; a journal concludes the experiment of the same title not yet concluded (or a new one) with the outcome the run showed.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
                "responses": with_errors(json_ok("201", "The experiment as stored",
                    json!({ "type": "object" })), &[400, 401, 403, 409]) } },
            "/api/v1/experiments/{id}/{step}": { "post": {
                "summary": "Start, conclude or abort an experiment (writer)",
                "description": "start: planned → running. conclude: {outcome, learnings?}. abort: {reason} — anyone with write access may stop an experiment; the reason is kept.",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "EXP-3" },
                    { "name": "step", "in": "path", "required": true, "schema": { "type": "string", "enum": ["start", "conclude", "abort"] } }
                ],
                "requestBody": { "required": false, "content": { "application/json": { "schema": {
                    "type": "object", "properties": {
                        "outcome": { "type": "string", "enum": ["confirmed", "refuted", "inconclusive", "aborted"] },
                        "learnings": { "type": "string" }, "reason": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("200", "The experiment as stored",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/premortems": {
                "get": {
                    "summary": "Pre-mortems with what they foresaw (reader)",
                    "description": "Each {premortem: {title, launch, risks, incidents}, foresight: {risks, mitigated, foreseen, surprises, rate}}.",
                    "responses": with_errors(json_ok("200", "Pre-mortems",
                        json!({ "type": "array", "items": { "type": "object" } })), &[401, 403]) },
                "post": {
                    "summary": "Start a pre-mortem of a launch or project (writer)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["title"], "properties": {
                            "title": { "type": "string" },
                            "launch": { "type": "string", "description": "YYYY-MM-DD or +14d" } } } } } },
                    "responses": with_errors(json_ok("201", "{premortem, foresight}",
                        json!({ "type": "object" })), &[400, 401, 403]) } },
            "/api/v1/premortems/{id}/risks": { "post": {
                "summary": "Add an imagined failure (writer)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["text", "likelihood", "impact"], "properties": {
                        "text": { "type": "string" },
                        "likelihood": { "type": "string", "enum": ["low", "medium", "high"] },
                        "impact": { "type": "string", "enum": ["low", "medium", "high"] },
                        "mitigation": { "type": "string" }, "owner": { "type": "string" },
                        "mitigated": { "type": "boolean" } } } } } },
                "responses": with_errors(json_ok("201", "{premortem, foresight}",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/premortems/{id}/risks/{n}": { "post": {
                "summary": "Mark a risk's mitigation as in place, or not (writer)",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "string" } },
                    { "name": "n", "in": "path", "required": true, "schema": { "type": "integer" }, "description": "The risk's number, from 1" }
                ],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["mitigated"], "properties": { "mitigated": { "type": "boolean" } } } } } },
                "responses": with_errors(json_ok("200", "{premortem, foresight}",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/premortems/{id}/incidents": { "post": {
                "summary": "Link an incident of the launch to the risk it realised, or as a surprise (writer)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["incident"], "properties": {
                        "incident": { "type": "string" },
                        "risk": { "type": "integer", "description": "From 1; absent: a surprise" } } } } } },
                "responses": with_errors(json_ok("200", "{premortem, foresight}",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/premortems/{id}": { "get": {
                "summary": "One pre-mortem with what it foresaw (reader)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "PM-2, or 2" }],
                "responses": with_errors(json_ok("200", "The pre-mortem and its foresight",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/near-misses/{id}/{step}": { "post": {
                "summary": "Turn a near-miss report into an incident marked as a near miss, or put it on the failure-bows agenda (writer)",
                "description": "promote: {severity?} (SEV4 when absent) → 201 {incident}; a report becomes one incident. bow: → 201 {bow}.",
                "parameters": [
                    { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } },
                    { "name": "step", "in": "path", "required": true, "schema": { "type": "string", "enum": ["promote", "bow"] } }
                ],
                "requestBody": { "required": false, "content": { "application/json": { "schema": {
                    "type": "object", "properties": { "severity": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("201", "The incident, or the bow's number",
                    json!({ "type": "object" })), &[400, 401, 403, 404, 409]) } },
            "/api/v1/retros": {
                "get": {
                    "summary": "Retrospectives, the latest held first (reader)",
                    "description": "As `debrief retro list --json`: title, team, held, closed, items (kind start|stop|continue, text, votes, action), incidents, actions (the action items its close decided, as they stand).",
                    "responses": with_errors(json_ok("200", "Retros",
                        json!({ "type": "array", "items": { "type": "object" } })), &[401, 403]) },
                "post": {
                    "summary": "Open a retrospective (writer)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["title"], "properties": {
                            "title": { "type": "string" }, "team": { "type": "string" },
                            "held": { "type": "string", "description": "YYYY-MM-DD; today when absent" },
                            "incidents": { "type": "array", "items": { "type": "string" } } } } } } },
                    "responses": with_errors(json_ok("201", "The retro as stored",
                        json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/retros/{id}": { "get": {
                "summary": "One retrospective with its items and action items (reader)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" }, "description": "RETRO-2, or 2" }],
                "responses": with_errors(json_ok("200", "The retro",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/retros/{id}/items": { "post": {
                "summary": "Add a start / stop / continue item to an open retro (writer)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["kind", "text"], "properties": {
                        "kind": { "type": "string", "enum": ["start", "stop", "continue"] },
                        "text": { "type": "string" } } } } } },
                "responses": with_errors(json_ok("201", "The retro as stored",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/retros/{id}/votes": { "post": {
                "summary": "Vote for an item of an open retro (writer)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["item"], "properties": {
                        "item": { "type": "integer", "description": "From 1" },
                        "votes": { "type": "integer", "description": "1 when absent; negative takes votes back" } } } } } },
                "responses": with_errors(json_ok("200", "The retro as stored",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/retros/{id}/close": { "post": {
                "summary": "Close a retro: the chosen items become action items with owners (writer)",
                "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "string" } }],
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "properties": {
                        "actions": { "type": "array", "items": { "type": "object", "required": ["item", "owner"],
                            "properties": { "item": { "type": "integer" }, "owner": { "type": "string" } } } },
                        "due": { "type": "string", "description": "YYYY-MM-DD or +30d" } } } } } },
                "responses": with_errors(json_ok("200", "The retro as stored, with its new action items",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } },
            "/api/v1/pareto": { "get": {
                "summary": "What recurs across all incidents (reader)",
                "responses": with_errors(json_ok("200", "incidents, and factor_categories, factor_levels, services, detection: each [{value, incidents, cumulative}] most first",
                    json!({ "type": "object" })), &[401, 403]) } },
            "/api/v1/signals": { "get": {
                "summary": "The weak-signals report (reader)",
                "description": "Templates of the stored log lines whose failure-hiding kinds (retry, restart, failover, timeout, …) are new or rising against the baseline, ranked, each with its rate over the window as 24 bars; and cascades across services. As `debrief signals report --json`.",
                "parameters": [
                    { "name": "since", "in": "query", "schema": { "type": "string", "default": "24h" }, "description": "The report window, ending at the newest stored bucket" },
                    { "name": "baseline", "in": "query", "schema": { "type": "string", "default": "7d" }, "description": "The window before it that says what is usual" },
                    { "name": "kind", "in": "query", "schema": { "type": "string" }, "description": "Comma-separated kinds" },
                    { "name": "service", "in": "query", "schema": { "type": "string" } },
                    { "name": "cascade_window", "in": "query", "schema": { "type": "string", "default": "15m" } },
                    { "name": "limit", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 1000, "default": 50 } }
                ],
                "responses": with_errors(json_ok("200", "from, until, baseline_from, signals (fingerprint, template, kind, trend, count, baseline_count, expected, score, first_seen, last_seen, services, rate), cascades",
                    json!({ "type": "object" })), &[400, 401, 403]) } },
            "/api/v1/signals/{fingerprint}/promote": { "post": {
                "summary": "Turn a weak signal into an incident, or into evidence on one (writer)",
                "description": "As `debrief signals promote`: the signal's counts and up to three example lines go into the timeline of a new incident (detected by a signal) or of `incident`. The body is optional.",
                "parameters": [{ "name": "fingerprint", "in": "path", "required": true,
                    "schema": { "type": "string" }, "description": "As the report shows it; a unique prefix of at least 4 hex digits will do" }],
                "requestBody": { "required": false, "content": { "application/json": { "schema": {
                    "type": "object", "properties": {
                        "incident": { "type": "string", "description": "Add to this incident instead" },
                        "severity": { "type": "string", "default": "SEV4" },
                        "title": { "type": "string" },
                        "since": { "type": "string", "default": "24h" } } } } } },
                "responses": with_errors(json_ok("201", "incident, created (whether it is new), fingerprint",
                    json!({ "type": "object", "properties": {
                        "incident": { "type": "string" }, "created": { "type": "boolean" },
                        "fingerprint": { "type": "string" } } })), &[400, 401, 403, 404]) } },
            "/api/v1/alertmanager": { "post": {
                "summary": "Alertmanager webhook (writer)",
                "description": "A firing group opens an incident (severity from the `severity` label, service from `service`, `app` or `job`), later notifications add to its timeline while it is open, a resolved one marks it mitigated. The group key finds the incident again.",
                "requestBody": { "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["groupKey", "status"], "properties": {
                        "groupKey": { "type": "string" },
                        "status": { "type": "string", "enum": ["firing", "resolved"] },
                        "alerts": { "type": "array", "items": { "type": "object" } } } } } } },
                "responses": with_errors(json_ok("200", "What it did: opened, updated, resolved (with the incident) or ignored",
                    json!({ "type": "object", "properties": {
                        "outcome": { "type": "string", "enum": ["opened", "updated", "resolved", "ignored"] },
                        "incident": { "type": "string" } } })), &[400, 401, 403, 413]) } },
            "/v1/logs": { "post": {
                "summary": "OTLP logs over HTTP (writer)",
                "description": "An OpenTelemetry ExportLogsServiceRequest, as application/x-protobuf or application/json (OTLP/JSON); gzip accepted. Each record's body, severity, time and resource service.name go to the weak-signal report. Up to 16 MiB a request (unzipped).",
                "requestBody": { "required": true, "content": {
                    "application/x-protobuf": { "schema": { "type": "string", "format": "binary" } },
                    "application/json": { "schema": { "type": "object" } } } },
                "responses": with_errors(json!({
                    "200": { "description": "An empty ExportLogsServiceResponse, in the request's encoding" },
                    "415": { "description": "Neither protobuf nor JSON (code `unsupported_media_type`)", "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Error" } } } },
                    "429": { "description": "Busy (code `busy`); see Retry-After", "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Error" } } } }
                }), &[400, 401, 403, 413]) } },
            "/api/v1/logs": { "post": {
                "summary": "Take in log lines for the weak-signal report (writer)",
                "description": "JSON lines or plain text, as `debrief signals scan` reads them; `Content-Encoding: gzip` accepted. Up to 16 MiB a request (unzipped). Answers 429 with Retry-After while other batches are being scanned.",
                "requestBody": { "required": true, "content": {
                    "application/x-ndjson": { "schema": { "type": "string" } },
                    "text/plain": { "schema": { "type": "string" } } } },
                "responses": with_errors(json!({
                    "200": { "description": "Lines read and stored", "content": { "application/json": {
                        "schema": { "type": "object", "properties": {
                            "lines": { "type": "integer" }, "parsed": { "type": "integer" },
                            "messages": { "type": "integer" }, "scan": { "type": "integer" } } } } } },
                    "429": { "description": "Busy (code `busy`); see Retry-After", "content": { "application/json": {
                        "schema": { "$ref": "#/components/schemas/Error" } } } }
                }), &[400, 401, 403, 413]) } },
            "/api/v1/tokens": {
                "get": { "summary": "List tokens, never their secrets (admin)",
                    "responses": with_errors(json_ok("200", "Tokens",
                        json!({ "type": "array", "items": { "$ref": "#/components/schemas/Token" } })),
                        &[401, 403]) },
                "post": { "summary": "Make a token; its secret is in this answer only (admin)",
                    "requestBody": { "required": true, "content": { "application/json": { "schema": {
                        "type": "object", "required": ["name", "role"], "properties": {
                            "name": { "type": "string" },
                            "role": { "type": "string", "enum": ["reader", "writer", "admin"] } } } } } },
                    "responses": with_errors(json_ok("201", "The token, with its secret",
                        json!({ "$ref": "#/components/schemas/Token" })), &[400, 401, 403, 413]) } },
            "/api/v1/tokens/{id}": { "delete": {
                "summary": "Revoke a token (admin)",
                "parameters": [ { "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } } ],
                "responses": with_errors(json_ok("200", "Revoked (false if it was already)",
                    json!({ "type": "object" })), &[400, 401, 403, 404]) } }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_document_and_nothing_else() {
        let doc = document();
        let paths = doc["paths"].as_object().unwrap();
        let mut documented: Vec<(String, String)> = paths
            .iter()
            .flat_map(|(p, ops)| {
                ops.as_object()
                    .unwrap()
                    .keys()
                    .map(move |m| (p.clone(), m.clone()))
            })
            .collect();
        documented.sort();
        let mut served: Vec<(String, String)> = crate::api::ROUTES
            .iter()
            .flat_map(|(p, ms)| ms.iter().map(move |m| (p.to_string(), m.to_string())))
            .collect();
        served.sort();
        assert_eq!(documented, served);
        // Every operation names its responses; every $ref points at a schema that exists.
        let text = doc.to_string();
        for part in text.split("\"#/components/schemas/").skip(1) {
            let name = &part[..part.find('"').unwrap()];
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }
}
