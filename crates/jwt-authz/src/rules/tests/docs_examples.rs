//! Every JSON example in docs/channel-rules.md is valid configuration, so the documentation
//! cannot drift from what the engine accepts.

use serde_json::Value;

use crate::rules::{
    ChannelRuleConfig, ChannelRules, ConditionConfig, GraphqlRuleConfig, GraphqlRules,
};

const DOC: &str = include_str!("../../../../../docs/channel-rules.md");

fn json_blocks() -> Vec<&'static str> {
    DOC.split("```json\n")
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap_or_default())
        .collect()
}

/// Compiles whatever rules a config object holds; `Err` if it holds none or any is bad.
fn compile_config(config: &Value) -> Result<(), String> {
    let mut found = false;
    if let Some(rules) = config.get("channelRules") {
        let rules: Vec<ChannelRuleConfig> =
            serde_json::from_value(rules.clone()).map_err(|e| e.to_string())?;
        ChannelRules::compile(&rules).map_err(|e| e.to_string())?;
        found = true;
    }
    if let Some(rules) = config.get("graphqlRules") {
        let rules: Vec<GraphqlRuleConfig> =
            serde_json::from_value(rules.clone()).map_err(|e| e.to_string())?;
        GraphqlRules::compile(&rules).map_err(|e| e.to_string())?;
        found = true;
    }
    if found {
        Ok(())
    } else {
        Err("no rules in this object".into())
    }
}

/// A block is one or more comma-separated channel rules, a whole config, a
/// `"graphqlRules": [...]` fragment, or one condition per line.
fn check_block(block: &str) -> Result<(), String> {
    if let Ok(rules) = serde_json::from_str::<Vec<ChannelRuleConfig>>(&format!("[{block}]")) {
        return ChannelRules::compile(&rules)
            .map(drop)
            .map_err(|e| e.to_string());
    }
    if let Ok(config) = serde_json::from_str::<Value>(block) {
        return compile_config(&config);
    }
    if let Ok(config) = serde_json::from_str::<Value>(&format!("{{{block}}}")) {
        return compile_config(&config);
    }
    let conditions = block
        .lines()
        .map(serde_json::from_str::<ConditionConfig>)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("not a config, rule list or condition list: {e}"))?;
    let rule = ChannelRuleConfig {
        channel: "/docs/*".into(),
        operations: vec!["subscribe".into()],
        when: conditions,
    };
    ChannelRules::compile(&[rule])
        .map(drop)
        .map_err(|e| e.to_string())
}

#[test]
fn every_json_example_in_the_channel_rules_doc_compiles() {
    let blocks = json_blocks();
    assert!(
        blocks.len() >= 10,
        "found only {} json blocks",
        blocks.len()
    );
    for block in blocks {
        if let Err(problem) = check_block(block) {
            panic!("docs/channel-rules.md example does not compile: {problem}\n{block}");
        }
    }
}
