use serde_json::{Value, json};

use super::*;

const TS: u64 = 1_700_000_000_123;

fn line(groups: &[Group<'_>]) -> String {
    let mut out = String::new();
    write_line(
        &mut out,
        &Namespace::new("Test/NS").expect("ns"),
        TS,
        groups,
    )
    .expect("writes");
    out
}

fn parsed(groups: &[Group<'_>]) -> Value {
    let text = line(groups);
    assert!(
        text.ends_with('\n') && !text[..text.len() - 1].contains('\n'),
        "{text:?}"
    );
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn one_group_has_the_exact_emf_shape() {
    let text = line(&[Group {
        dimensions: &[("Operation", "EVENT_CONNECT"), ("Outcome", "allow")],
        metrics: &[Metric::count("Decisions", 1)],
    }]);
    assert_eq!(
        text,
        concat!(
            r#"{"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"Test/NS","#,
            r#""Dimensions":[["Operation","Outcome"]],"Metrics":[{"Name":"Decisions","Unit":"Count"}]}]},"#,
            r#""Operation":"EVENT_CONNECT","Outcome":"allow","Decisions":1}"#,
            "\n"
        )
    );
}

#[test]
fn several_groups_become_several_directives_sharing_root_members() {
    let value = parsed(&[
        Group {
            dimensions: &[("FunctionName", "f"), ("Reason", "expired")],
            metrics: &[Metric::count("Denials", 1)],
        },
        Group {
            dimensions: &[("FunctionName", "f")],
            metrics: &[
                Metric::count("InfrastructureDenials", 0),
                Metric {
                    name: "RequestLatency",
                    unit: Unit::Milliseconds,
                    values: Values::Many(&[12.0, 7.5]),
                },
            ],
        },
    ]);
    assert_eq!(
        value,
        json!({
            "_aws": {"Timestamp": TS, "CloudWatchMetrics": [
                {"Namespace": "Test/NS", "Dimensions": [["FunctionName", "Reason"]],
                 "Metrics": [{"Name": "Denials", "Unit": "Count"}]},
                {"Namespace": "Test/NS", "Dimensions": [["FunctionName"]],
                 "Metrics": [{"Name": "InfrastructureDenials", "Unit": "Count"},
                             {"Name": "RequestLatency", "Unit": "Milliseconds"}]}
            ]},
            "FunctionName": "f", "Reason": "expired", "Denials": 1,
            "InfrastructureDenials": 0, "RequestLatency": [12, 7.5]
        })
    );
}

#[test]
fn no_dimensions_is_one_empty_dimension_set() {
    let value = parsed(&[Group {
        dimensions: &[],
        metrics: &[Metric::count("Hits", 3)],
    }]);
    assert_eq!(
        value["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([[]])
    );
    assert_eq!(value["Hits"], 3);
}

#[test]
fn empty_value_lists_and_empty_groups_are_left_out() {
    let empty = Metric {
        name: "RequestLatency",
        unit: Unit::Milliseconds,
        values: Values::Many(&[]),
    };
    let value = parsed(&[
        Group {
            dimensions: &[("A", "a")],
            metrics: &[empty],
        },
        Group {
            dimensions: &[],
            metrics: &[Metric::count("Published", 2), empty],
        },
    ]);
    assert_eq!(
        value["_aws"]["CloudWatchMetrics"].as_array().map(Vec::len),
        Some(1)
    );
    assert!(value.get("A").is_none() && value.get("RequestLatency").is_none());
    let mut out = String::from("kept");
    write_line(
        &mut out,
        &Namespace::new("N").expect("ns"),
        TS,
        &[Group {
            dimensions: &[],
            metrics: &[empty],
        }],
    )
    .expect("nothing to write is fine");
    assert_eq!(out, "kept");
}

#[test]
fn names_and_values_are_json_escaped() {
    let value = parsed(&[Group {
        dimensions: &[("Reason", "a\"b\\c\u{1}\n")],
        metrics: &[Metric::count("Odd \"name\"", 1)],
    }]);
    assert_eq!(value["Reason"], "a\"b\\c\u{1}\n");
    assert_eq!(value["Odd \"name\""], 1);
}

#[test]
fn numbers_are_plain_json() {
    let value = parsed(&[Group {
        dimensions: &[],
        metrics: &[Metric {
            name: "V",
            unit: Unit::None,
            values: Values::Many(&[1e21, 1e-7, 0.25, 42.0]),
        }],
    }]);
    assert_eq!(value["V"], json!([1e21, 1e-7, 0.25, 42]));
}

#[test]
fn conflicting_root_members_are_refused() {
    let ns = Namespace::new("N").expect("ns");
    let mut out = String::new();
    let err = write_line(
        &mut out,
        &ns,
        TS,
        &[
            Group {
                dimensions: &[("Op", "a")],
                metrics: &[Metric::count("X", 1)],
            },
            Group {
                dimensions: &[("Op", "b")],
                metrics: &[Metric::count("Y", 1)],
            },
        ],
    );
    assert_eq!(err, Err(Error::Conflict("Op".into())));
    let err = write_line(
        &mut out,
        &ns,
        TS,
        &[
            Group {
                dimensions: &[],
                metrics: &[Metric::count("X", 1)],
            },
            Group {
                dimensions: &[("A", "a")],
                metrics: &[Metric::count("X", 2)],
            },
        ],
    );
    assert_eq!(err, Err(Error::Conflict("X".into())));
    let err = write_line(
        &mut out,
        &ns,
        TS,
        &[Group {
            dimensions: &[("X", "a")],
            metrics: &[Metric::count("X", 1)],
        }],
    );
    assert_eq!(err, Err(Error::Conflict("X".into())));
    assert!(out.is_empty(), "nothing written on error");
}

#[test]
fn invalid_input_is_refused() {
    let ns = Namespace::new("N").expect("ns");
    let mut out = String::new();
    let nan = Metric {
        name: "V",
        unit: Unit::None,
        values: Values::One(f64::NAN),
    };
    assert_eq!(
        write_line(
            &mut out,
            &ns,
            TS,
            &[Group {
                dimensions: &[],
                metrics: &[nan]
            }]
        ),
        Err(Error::NotFinite("V".into()))
    );
    for dimensions in [
        &[("", "v")][..],
        &[("D", "")],
        &[("D", "  ")],
        &[("_aws", "v")],
    ] {
        let result = write_line(
            &mut out,
            &ns,
            TS,
            &[Group {
                dimensions,
                metrics: &[Metric::count("C", 1)],
            }],
        );
        assert!(matches!(result, Err(Error::Invalid(_))), "{dimensions:?}");
    }
    let many = [("D", "v"); 31];
    assert!(matches!(
        write_line(
            &mut out,
            &ns,
            TS,
            &[Group {
                dimensions: &many,
                metrics: &[Metric::count("C", 1)]
            }]
        ),
        Err(Error::Invalid(_))
    ));
    assert!(out.is_empty());
}

#[test]
fn namespaces_follow_cloudwatch_rules() {
    for ok in ["AppSyncJwtAuth", "My/App-1_x.y#z:w", "With Space"] {
        assert!(Namespace::new(ok).is_ok(), "{ok}");
    }
    for bad in ["", "   ", "AWS\u{e9}", "a\"b", ":starts", &"x".repeat(256)] {
        assert!(Namespace::new(bad).is_err(), "{bad}");
    }
}
