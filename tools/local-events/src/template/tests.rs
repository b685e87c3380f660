use super::*;

/// This repository's own template: what `--template template.yaml` enforces.
const PROJECT_TEMPLATE: &str = include_str!("../../../../template.yaml");

#[test]
fn the_project_template_yields_its_modes_namespace_and_cache_ttl() {
    let config = parse(PROJECT_TEMPLATE).expect("the project template is readable");
    let events = &config.event_config;
    assert_eq!(events.connect, [AuthMode::Lambda, AuthMode::Iam]);
    assert_eq!(events.default_publish, [AuthMode::Lambda, AuthMode::Iam]);
    assert_eq!(events.default_subscribe, [AuthMode::Lambda]);
    assert_eq!(
        events.namespaces.keys().collect::<Vec<_>>(),
        ["default"],
        "Name: !Ref ChannelNamespaceName resolves to the parameter's Default"
    );
    assert_eq!(config.authorizer_ttl, Some(300));
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

const TEMPLATE: &str = r#"
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: { Type: String, Default: dev }
  Ttl: { Type: Number, Default: 60 }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: bootstrap, Environment: { Variables: { X: !Sub "${AWS::Region}" } } }
  Api:
    Type: AWS::AppSync::Api
    Properties:
      Name: !Sub "${AWS::StackName}-events"
      EventConfig:
        AuthProviders:
          - AuthType: API_KEY
          - AuthType: AWS_LAMBDA
            LambdaAuthorizerConfig:
              AuthorizerUri: !GetAtt Fn.Arn
              AuthorizerResultTtlInSeconds: { Ref: Ttl }
              IdentityValidationExpression: !If [IsProd, "^x$", !Ref "AWS::NoValue"]
          - AuthType: AWS_IAM
        ConnectionAuthModes: [{ AuthType: AWS_LAMBDA }, { AuthType: API_KEY }]
        DefaultPublishAuthModes: [{ AuthType: AWS_IAM }]
        DefaultSubscribeAuthModes: [{ AuthType: AWS_LAMBDA }]
  Chat:
    Type: AWS::AppSync::ChannelNamespace
    Properties:
      ApiId: !GetAtt Api.ApiId
      Name: !Sub "chat-${Stage}"
      PublishAuthModes: [{ AuthType: AWS_LAMBDA }, { AuthType: AWS_IAM }]
  Public:
    Type: "AWS::AppSync::ChannelNamespace"
    Properties: { ApiId: !GetAtt Api.ApiId, Name: public, SubscribeAuthModes: [{ AuthType: AWS_IAM }] }
"#;

#[test]
fn tags_are_tolerated_and_namespace_overrides_are_read() {
    let config = parse(TEMPLATE).expect("readable");
    let events = &config.event_config;
    assert_eq!(events.connect, [AuthMode::Lambda], "API_KEY dropped");
    assert_eq!(config.authorizer_ttl, Some(60), "long-form Ref resolved");
    assert_eq!(
        events.namespaces.keys().collect::<Vec<_>>(),
        ["chat-dev", "public"]
    );
    assert_eq!(
        events.publish_modes("chat-dev"),
        [AuthMode::Lambda, AuthMode::Iam]
    );
    assert_eq!(events.subscribe_modes("chat-dev"), [AuthMode::Lambda]);
    assert_eq!(events.publish_modes("public"), [AuthMode::Iam]);
    assert_eq!(events.subscribe_modes("public"), [AuthMode::Iam]);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert!(config.warnings[0].contains("API_KEY is not emulated"));
}

#[test]
fn unresolvable_or_missing_values_are_errors_naming_the_property() {
    let getatt = TEMPLATE.replace("Name: public", "Name: !GetAtt Other.Name");
    let error = parse(&getatt).expect_err("cannot resolve");
    assert!(
        error.contains("Public.Name: cannot resolve !GetAtt"),
        "{error}"
    );

    let no_default = TEMPLATE.replace("Name: !Sub \"chat-${Stage}\"", "Name: !Ref Missing");
    let error = parse(&no_default).expect_err("no default");
    assert!(
        error.contains("!Ref Missing is not a template parameter"),
        "{error}"
    );

    let only_api_key = TEMPLATE.replace(
        "DefaultPublishAuthModes: [{ AuthType: AWS_IAM }]",
        "DefaultPublishAuthModes: [{ AuthType: API_KEY }]",
    );
    let error = parse(&only_api_key).expect_err("nothing emulated");
    assert!(
        error.contains("DefaultPublishAuthModes: none of the listed"),
        "{error}"
    );

    assert!(
        parse("Resources: {}")
            .expect_err("no api")
            .contains("no AWS::AppSync::Api")
    );
    assert!(parse("a: [").expect_err("yaml").contains("not valid YAML"));
    let bad_ttl = TEMPLATE.replace("Default: 60", "Default: 4000");
    assert!(parse(&bad_ttl).expect_err("ttl").contains("0 to 3600"));
}

#[test]
fn the_project_template_prefilters_tokens_with_its_default_prefix() {
    let config = parse(PROJECT_TEMPLATE).expect("readable");
    let check = config
        .identity_validation
        .expect("TokenPrefix defaults to supabase:, so the !If picks the expression");
    assert_eq!(
        check.pattern(),
        r"^supabase:[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$"
    );
    assert!(check.admits("supabase:a.b.c"));
    assert!(!check.admits("a.b.c"));
}

fn overrides(pairs: &[(&str, &str)]) -> Overrides {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

#[test]
fn parameter_overrides_flow_into_the_expression_and_its_condition() {
    let config = parse_with(
        PROJECT_TEMPLATE,
        &overrides(&[("TokenPrefix", ""), ("TokenSuffix", ":v1")]),
    )
    .expect("readable");
    let check = config.identity_validation.expect("a suffix is a wrapper");
    assert!(check.admits("a.b.c:v1"));
    assert!(!check.admits("supabase:a.b.c"));

    let config = parse_with(
        PROJECT_TEMPLATE,
        &overrides(&[("TokenPrefix", ""), ("TokenSuffix", "")]),
    )
    .expect("readable");
    assert_eq!(
        config.identity_validation, None,
        "no wrapper: HasTokenWrapper is false, the property is AWS::NoValue"
    );
}

#[test]
fn overrides_are_checked_like_cloudformation_checks_parameters() {
    let error = parse_with(PROJECT_TEMPLATE, &overrides(&[("TokenPrefix", "a.b")]))
        .expect_err("AllowedPattern refuses '.'");
    assert!(error.contains("AllowedPattern"), "{error}");
    let error = parse_with(PROJECT_TEMPLATE, &overrides(&[("Nope", "x")])).expect_err("unknown");
    assert!(error.contains("no parameter Nope"), "{error}");
}

#[test]
fn conditions_and_no_value_resolve_in_the_fixture() {
    let dev = parse(TEMPLATE).expect("readable");
    assert_eq!(dev.identity_validation, None, "IsProd is false by default");
    let prod = parse_with(TEMPLATE, &overrides(&[("Stage", "prod")])).expect("readable");
    assert_eq!(
        prod.identity_validation.map(|c| c.pattern().to_owned()),
        Some("^x$".to_owned())
    );
    assert!(
        prod.event_config.namespaces.contains_key("chat-prod"),
        "overrides reach !Sub too"
    );
}
