//! The evaluator against a template that uses every supported function.

use super::*;
use serde_json::json;

const TEMPLATE: &str = r#"
Parameters:
  Name: { Type: String, Default: "" }
  Mode: { Type: String, Default: a, AllowedValues: [a, b] }
  Size: { Type: Number, Default: 5, MinValue: 1, MaxValue: 10 }
  Word: { Type: String, Default: x, AllowedPattern: "^[a-z]*$" }
Conditions:
  HasName: !Not [!Equals [!Ref Name, ""]]
  IsB: !Equals [!Ref Mode, b]
  Both: !And [!Condition HasName, !Condition IsB]
  Either: !Or [!Condition HasName, !Condition IsB]
Rules:
  NameForB:
    RuleCondition: !Equals [!Ref Mode, b]
    Assertions:
      - Assert: !Not [!Equals [!Ref Name, ""]]
        AssertDescription: set Name for mode b
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          NAME: !If [HasName, !Ref Name, !Ref AWS::NoValue]
          SIZE: !Ref Size
          BOTH: !If [Both, "yes", "no"]
          EITHER: !If [Either, "yes", "no"]
          ARN: !Sub "arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Name}/${!Literal}"
          VARS: !Sub ["${A}-${Mode}", { A: !Ref Word }]
          ATT: !GetAtt Other.Arn
  Optional:
    Type: AWS::SNS::Topic
    Condition: IsB
Outputs:
  Out:
    Condition: HasName
    Value: !Sub "name=${Name}"
"#;

fn env(overrides: &[(&str, &str)]) -> Result<BTreeMap<String, String>, String> {
    let template = Template::parse(TEMPLATE)?;
    let pairs: Vec<(String, String)> = overrides
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    template.stack(&pairs)?.environment("Fn")
}

#[test]
fn no_value_removes_the_key_and_conditions_compose() {
    let defaults = env(&[]).expect("renders");
    assert!(!defaults.contains_key("NAME"));
    assert_eq!(defaults["SIZE"], "5");
    assert_eq!(
        (defaults["BOTH"].as_str(), defaults["EITHER"].as_str()),
        ("no", "no")
    );
    let set = env(&[("Name", "n"), ("Mode", "b")]).expect("renders");
    assert_eq!(set["NAME"], "n");
    assert_eq!(
        (set["BOTH"].as_str(), set["EITHER"].as_str()),
        ("yes", "yes")
    );
    let one = env(&[("Name", "n")]).expect("renders");
    assert_eq!(
        (one["BOTH"].as_str(), one["EITHER"].as_str()),
        ("no", "yes")
    );
}

#[test]
fn sub_resolves_parameters_pseudo_parameters_variables_and_literals() {
    let e = env(&[("Name", "n"), ("Word", "w"), ("Mode", "b")]).expect("renders");
    assert_eq!(
        e["ARN"],
        format!("arn:aws:x:{REGION}:{ACCOUNT}:n/${{Literal}}")
    );
    assert_eq!(e["VARS"], "w-b");
    assert_eq!(e["ATT"], "<Other.Arn>");
}

#[test]
fn parameter_constraints_are_enforced() {
    for (bad, what) in [
        (("Mode", "c"), "Mode"),
        (("Size", "11"), "Size"),
        (("Size", "x"), "Size"),
        (("Word", "A"), "Word"),
        (("Nope", "1"), "Nope"),
    ] {
        let err = env(&[bad]).expect_err("refused");
        assert!(err.starts_with(what), "{err}");
    }
}

#[test]
fn rules_refuse_only_when_their_condition_holds() {
    let template = Template::parse(TEMPLATE).expect("parses");
    let refusals = |pairs: &[(&str, &str)]| {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        template
            .stack(&pairs)
            .expect("binds")
            .refusals()
            .expect("evaluates")
    };
    assert!(refusals(&[]).is_empty());
    assert!(refusals(&[("Mode", "b"), ("Name", "n")]).is_empty());
    assert_eq!(
        refusals(&[("Mode", "b")]),
        [Refusal {
            rule: "NameForB".into(),
            description: "set Name for mode b".into()
        }]
    );
}

#[test]
fn conditional_resources_and_outputs_follow_their_condition() {
    let template = Template::parse(TEMPLATE).expect("parses");
    let stack = template.stack(&[]).expect("binds");
    assert_eq!(stack.resource("Optional").expect("renders"), None);
    assert_eq!(stack.output("Out").expect("renders"), None);
    let named = [
        ("Name".to_owned(), "n".to_owned()),
        ("Mode".to_owned(), "b".to_owned()),
    ];
    let stack = template.stack(&named).expect("binds");
    assert!(stack.resource("Optional").expect("renders").is_some());
    assert_eq!(
        stack.output("Out").expect("renders").as_deref(),
        Some("name=n")
    );
}

#[test]
fn unsupported_intrinsics_are_errors_not_guesses() {
    let template = Template::parse("Resources: {}").expect("parses");
    let stack = template.stack(&[]).expect("binds");
    let err = stack
        .render(&json!({"Fn::Select": [0, ["a"]]}))
        .expect_err("unsupported");
    assert!(err.contains("Select"), "{err}");
}

#[test]
fn a_local_binding_resolves_what_it_can_and_names_what_it_cannot() {
    let template = Template::parse(
        r#"
Parameters:
  Given: { Type: String, Default: g }
  Required: { Type: String }
Conditions:
  Loop: !Condition Loop
Resources:
  Fn:
    Properties:
      A: !Sub "${Given}-${AWS::Region}"
      B: !Ref Required
      C: !GetAtt Other.Arn
      D: !If [Loop, x, y]
"#,
    )
    .expect("parses");
    let stack = template
        .local(&[], &[("AWS::Region", "us-east-1")])
        .expect("a parameter without a value is not an error until used");
    let property = |name: &str| {
        let node = &template.resource("Fn").expect("Fn")["Properties"][name];
        stack.value(node)
    };
    assert_eq!(property("A"), Ok(Some("g-us-east-1".to_owned())));
    let required = property("B").expect_err("unbound");
    assert!(
        required.contains("!Ref Required is not a template parameter"),
        "{required}"
    );
    let attribute = property("C").expect_err("exists only once deployed");
    assert!(attribute.contains("cannot resolve !GetAtt"), "{attribute}");
    let cycle = property("D").expect_err("a cycle");
    assert!(cycle.contains("nested too deeply"), "{cycle}");
    let bound = template
        .local(&[("Required".into(), "r".into())], &[])
        .expect("binds");
    let node = &template.resource("Fn").expect("Fn")["Properties"]["B"];
    assert_eq!(bound.value(node), Ok(Some("r".to_owned())));
    assert!(
        template.stack(&[]).is_err(),
        "CloudFormation needs every value"
    );
}
