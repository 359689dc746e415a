//! The kafka workload's requests and how their replies become ops (Maelstrom's
//! `workload/kafka.clj` client): `send`, `poll` with its `commit_offsets`, and `assign` with its
//! `list_committed_offsets`, each through with-errors, a reply of the wrong shape becoming a
//! malformed `:info`.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};

use crate::edn::Edn;
use crate::history::{Exception, OpType};
use crate::workload::{
    complete_call, malformed_text, Call, Completion, FieldKind, ReplySchema, RpcOutcome,
    SchemaProblem, MALFORMED_CLASS,
};

pub(super) const SEND_OK: ReplySchema = ReplySchema {
    reply_type: "send_ok",
    fields: &[("offset", FieldKind::Any)],
};

pub(super) const POLL_OK: ReplySchema = ReplySchema {
    reply_type: "poll_ok",
    fields: &[("msgs", FieldKind::Any)],
};

pub(super) const COMMIT_OFFSETS_OK: ReplySchema = ReplySchema {
    reply_type: "commit_offsets_ok",
    fields: &[],
};

pub(super) const LIST_COMMITTED_OFFSETS_OK: ReplySchema = ReplySchema {
    reply_type: "list_committed_offsets_ok",
    fields: &[("offsets", FieldKind::Any)],
};

/// A reply whose fields are there but hold the wrong kind of value: `:info`, as any malformed
/// reply, with Maelstrom's text naming the node, the request and the field.
pub(super) fn malformed(
    node: Option<&str>,
    request: &Value,
    schema: &ReplySchema,
    body: &Map<String, Value>,
    key: &str,
    problem: String,
    value: &Edn,
) -> Completion {
    let mut sent = request.clone();
    if let (Value::Object(map), Some(id)) = (&mut sent, body.get("in_reply_to")) {
        map.insert("msg_id".into(), id.clone());
    }
    let problems = [SchemaProblem {
        key: key.to_string(),
        problem,
    }];
    let text = malformed_text(node, &sent, schema, &Value::Object(body.clone()), &problems);
    Completion {
        op_type: OpType::Info,
        value: value.clone(),
        error: Some(Edn::Str(format!("indeterminate: {text}").into())),
        exception: Some(Exception {
            class: MALFORMED_CLASS.to_string(),
            message: text,
        }),
    }
}

/// One RPC through with-errors; on a valid reply, its body.
pub(super) fn rpc(
    call: &mut dyn Call,
    request: Value,
    schema: &ReplySchema,
    idempotent: bool,
    value: &Edn,
) -> Result<Map<String, Value>, Completion> {
    let outcome = call.rpc(request.clone());
    let mut body = None;
    let completion = complete_call(
        Some(call.node()),
        &request,
        schema,
        idempotent,
        value,
        &outcome,
        |map| {
            body = Some(map.clone());
            Edn::Nil
        },
    );
    match body {
        Some(body) if completion.op_type == OpType::Ok => Ok(body),
        _ => Err(completion),
    }
}

pub(super) fn complete_send(
    node: Option<&str>,
    request: &Value,
    value: &Edn,
    outcome: &RpcOutcome,
) -> Completion {
    let mut body = None;
    let completion = complete_call(node, request, &SEND_OK, false, value, outcome, |map| {
        body = Some(map.clone());
        Edn::Nil
    });
    let Some(body) = body.filter(|_| completion.op_type == OpType::Ok) else {
        return completion;
    };
    let Some(offset) = body.get("offset").and_then(Value::as_i64) else {
        let got = crate::edn::compact(&Edn::from_json(&body["offset"]));
        return malformed(
            node,
            request,
            &SEND_OK,
            &body,
            "offset",
            format!("(not (integer? {got}))"),
            value,
        );
    };
    let (key, msg) = match value {
        Edn::Vector(mops) => match mops.first() {
            Some(Edn::Vector(parts)) if parts.len() == 3 => (parts[1].clone(), parts[2].clone()),
            _ => (Edn::Nil, Edn::Nil),
        },
        _ => (Edn::Nil, Edn::Nil),
    };
    let pair = Edn::Vector(vec![Edn::Int(offset), msg].into());
    Completion {
        op_type: OpType::Ok,
        value: Edn::Vector(vec![Edn::Vector(vec![Edn::kw("send"), key, pair].into())].into()),
        error: None,
        exception: None,
    }
}

/// `:assign`: the positions become exactly the assigned keys, each at its previous position,
/// else its committed offset, else 0; in the final phase all at 0 without asking.
pub(super) fn assign(
    call: &mut dyn Call,
    positions: &mut BTreeMap<String, i64>,
    value: &Edn,
    final_phase: bool,
) -> Completion {
    let keys: Vec<String> = match value {
        Edn::Vector(keys) => keys
            .iter()
            .map(|k| match k {
                Edn::Str(s) => s.to_string(),
                other => crate::edn::compact(other),
            })
            .collect(),
        _ => Vec::new(),
    };
    let committed: Map<String, Value> = if final_phase {
        Map::new()
    } else {
        let request = json!({"type": "list_committed_offsets", "keys": keys});
        match rpc(
            call,
            request.clone(),
            &LIST_COMMITTED_OFFSETS_OK,
            true,
            value,
        ) {
            Ok(body) => match body.get("offsets") {
                Some(Value::Object(offsets)) if offsets.values().all(|o| o.is_i64()) => {
                    offsets.clone()
                }
                other => {
                    let got = crate::edn::compact(&Edn::from_json(other.unwrap_or(&Value::Null)));
                    return malformed(
                        Some(call.node()),
                        &request,
                        &LIST_COMMITTED_OFFSETS_OK,
                        &body,
                        "offsets",
                        format!("(not (map-of-key-to-offset? {got}))"),
                        value,
                    );
                }
            },
            Err(completion) => return completion,
        }
    };
    let old = std::mem::take(positions);
    for k in keys {
        let at = if final_phase {
            0
        } else {
            old.get(&k)
                .copied()
                .or_else(|| committed.get(&k).and_then(Value::as_i64))
                .unwrap_or(0)
        };
        positions.insert(k, at);
    }
    Completion {
        op_type: OpType::Ok,
        value: value.clone(),
        error: None,
        exception: None,
    }
}

/// `:poll`: poll from the positions, move each key past the highest offset returned, and
/// commit those offsets.
pub(super) fn poll(
    call: &mut dyn Call,
    positions: &mut BTreeMap<String, i64>,
    value: &Edn,
) -> Completion {
    let request = json!({"type": "poll", "offsets": positions.clone()});
    let body = match rpc(call, request.clone(), &POLL_OK, false, value) {
        Ok(body) => body,
        Err(completion) => return completion,
    };
    let Some(Value::Object(msgs)) = body.get("msgs") else {
        let got = crate::edn::compact(&Edn::from_json(body.get("msgs").unwrap_or(&Value::Null)));
        return malformed(
            Some(call.node()),
            &request,
            &POLL_OK,
            &body,
            "msgs",
            format!("(not (map? {got}))"),
            value,
        );
    };
    let mut polled = Vec::new();
    let mut commit = Map::new();
    for (k, pairs) in msgs {
        let Some(pairs) = pairs.as_array().filter(|pairs| {
            pairs
                .iter()
                .all(|p| p.as_array().is_some_and(|p| p.len() == 2 && p[0].is_i64()))
        }) else {
            let got = crate::edn::compact(&Edn::from_json(pairs));
            return malformed(
                Some(call.node()),
                &request,
                &POLL_OK,
                &body,
                "msgs",
                format!("(not (offset-message-pairs? {got}))"),
                value,
            );
        };
        // Jepsen moves a key polled with no messages to at least 0 too.
        let highest = pairs.iter().filter_map(|p| p[0].as_i64()).max();
        let next = highest.unwrap_or(-1) + 1;
        let at = positions.entry(k.clone()).or_insert(next);
        *at = (*at).max(next);
        if let Some(h) = highest {
            commit.insert(k.clone(), Value::from(h.max(0)));
        }
        polled.push((
            Edn::Str(k.as_str().into()),
            Edn::from_json(&Value::Array(pairs.clone())),
        ));
    }
    if !commit.is_empty() {
        let request = json!({"type": "commit_offsets", "offsets": commit});
        if let Err(completion) = rpc(call, request, &COMMIT_OFFSETS_OK, false, value) {
            return completion;
        }
    }
    Completion {
        op_type: OpType::Ok,
        value: Edn::Vector(
            vec![Edn::Vector(
                vec![Edn::kw("poll"), Edn::Map(polled.into())].into(),
            )]
            .into(),
        ),
        error: None,
        exception: None,
    }
}
