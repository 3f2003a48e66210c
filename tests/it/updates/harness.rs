//! Runs update cases against one applied stack: each case edits stack.toml, checks
//! what `plan --json` says, applies, checks what the emulator holds, and checks that
//! the next plan is clean.
//!
//! Expected values may name things only known at run time as `${...}`: a variable of
//! the group (`${cert2}`, a certificate requested from the emulator) or an output of
//! a recorded resource (`${target_group.web.id}`, `${ecr_repository.app.uri}`), taken
//! from the state as it was before the apply (plan values, probes before the apply)
//! or after it (probes after the apply).

use super::probes::Probe;
use crate::support::cli::Workspace;
use crate::support::emulator::{Emulator, REGION};
use serde_json::{Value, json};
use stackctl::address::Address;
use stackctl::aws::Aws;
use stackctl::state::State;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Instant;

/// Where CloudFront takes its certificates from.
const CDN_REGION: &str = "us-east-1";

/// One edit of stack.toml: a dotted key set (tables created as needed) or removed.
enum Edit {
    Set(&'static str, Value),
    Remove(&'static str),
}

/// What the plan must say about one changed field. `cause` must be `config`: every
/// case is an edit of stack.toml, never drift.
pub struct Field {
    name: &'static str,
    before: Option<Value>,
    after: After,
    forces: bool,
}

enum After {
    Unchecked,
    Known(Value),
    /// "(known after apply)": it references an object the apply creates.
    Unknown,
}

pub fn field(name: &'static str) -> Field {
    Field {
        name,
        before: None,
        after: After::Unchecked,
        forces: false,
    }
}

impl Field {
    pub fn before(mut self, v: Value) -> Self {
        self.before = Some(v);
        self
    }

    pub fn after(mut self, v: Value) -> Self {
        self.after = After::Known(v);
        self
    }

    pub fn after_apply(mut self) -> Self {
        self.after = After::Unknown;
        self
    }

    /// This field is why the resource is replaced.
    pub fn forces(mut self) -> Self {
        self.forces = true;
        self
    }
}

struct Expected {
    address: &'static str,
    action: &'static str,
    class: &'static str,
    /// None: not checked (creates and deletes list every attribute or none).
    fields: Option<Vec<Field>>,
}

struct Check {
    probe: Probe,
    before: Value,
    after: Value,
}

pub struct Case {
    name: &'static str,
    edits: Vec<Edit>,
    changes: Vec<Expected>,
    checks: Vec<Check>,
}

pub fn case(name: &'static str) -> Case {
    Case {
        name,
        edits: Vec::new(),
        changes: Vec::new(),
        checks: Vec::new(),
    }
}

impl Case {
    pub fn set(mut self, key: &'static str, value: Value) -> Self {
        self.edits.push(Edit::Set(key, value));
        self
    }

    pub fn remove(mut self, key: &'static str) -> Self {
        self.edits.push(Edit::Remove(key));
        self
    }

    fn change(
        mut self,
        address: &'static str,
        action: &'static str,
        class: &'static str,
        fields: Option<Vec<Field>>,
    ) -> Self {
        self.changes.push(Expected {
            address,
            action,
            class,
            fields,
        });
        self
    }

    /// Updated in place; `class` is `in_place` or `deploy_only`.
    pub fn update(self, address: &'static str, class: &'static str, fields: Vec<Field>) -> Self {
        self.change(address, "update", class, Some(fields))
    }

    /// Replaced; `class` is `replacement` or `deploy_only`.
    pub fn replace(self, address: &'static str, class: &'static str, fields: Vec<Field>) -> Self {
        self.change(address, "replace", class, Some(fields))
    }

    pub fn create(self, address: &'static str) -> Self {
        self.change(address, "create", "create", None)
    }

    pub fn delete(self, address: &'static str) -> Self {
        self.change(address, "delete", "delete", None)
    }

    /// What the emulator holds before the apply and after it.
    pub fn check(mut self, probe: Probe, before: Value, after: Value) -> Self {
        self.checks.push(Check {
            probe,
            before,
            after,
        });
        self
    }
}

/// One emulator with the base stack applied; its cases run in sequence.
pub struct Group {
    ws: Workspace,
    aws: Aws,
    stack: toml::Table,
    vars: BTreeMap<String, String>,
    started: Instant,
    // Last: the emulator stops after everything that talks to it.
    _emulator: Emulator,
}

/// Every name the cases serve over HTTPS (CloudFront's aliases, checked against the
/// load balancer's certificate too): the load balancer's certificates cover them all.
const SERVED: &[&str] = &["app.example.com", "upd.example.com", "www.upd.example.com"];

impl Group {
    /// Starts an emulator, requests four certificates from it (`${cert}` is the
    /// base stack's HTTPS certificate, `${cert2}` another one; `${cdn_cert}` is the
    /// base stack's CloudFront certificate, in us-east-1 as CloudFront takes them,
    /// `${cdn_cert2}` another one there) and applies the base, its images pushed when
    /// the first apply asks for them.
    pub async fn start() -> Group {
        let started = Instant::now();
        let emulator = Emulator::start();
        let endpoint = &emulator.endpoint;
        let vars = BTreeMap::from([
            (
                "cert".to_string(),
                request_certificate(endpoint, REGION, "app.example.com", SERVED),
            ),
            (
                "cert2".to_string(),
                request_certificate(endpoint, REGION, "upd.example.com", SERVED),
            ),
            (
                "cdn_cert".to_string(),
                request_certificate(endpoint, CDN_REGION, "app.example.com", &[]),
            ),
            (
                "cdn_cert2".to_string(),
                request_certificate(endpoint, CDN_REGION, "upd.example.com", SERVED),
            ),
        ]);
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/updates.toml");
        let ws = Workspace::new(&emulator, &fixture);
        let text = std::fs::read_to_string(&fixture)
            .expect("read the fixture")
            .replace("CERTIFICATE_ARN", &vars["cert"])
            .replace("CDN_ACM_ARN", &vars["cdn_cert"]);
        std::fs::write(&ws.stack, &text).expect("write stack.toml");
        let stack: toml::Table = toml::from_str(&text).expect("the fixture is TOML");
        let aws = Aws::for_emulator(REGION, &emulator.endpoint).await;
        let group = Group {
            ws,
            aws,
            stack,
            vars,
            started,
            _emulator: emulator,
        };
        group.ws.apply(&[]).ok();
        group.assert_clean("the base stack");
        group
    }

    pub async fn run(&mut self, cases: Vec<Case>) {
        for case in &cases {
            let t = Instant::now();
            self.run_case(case).await;
            eprintln!(
                "case `{}` passed in {:.1}s",
                case.name,
                t.elapsed().as_secs_f64()
            );
        }
        eprintln!(
            "{} cases passed in {:.1}s, base apply included",
            cases.len(),
            self.started.elapsed().as_secs_f64()
        );
    }

    async fn run_case(&mut self, case: &Case) {
        let name = case.name;
        let before = self.state();
        for edit in &case.edits {
            match edit {
                Edit::Set(key, value) => {
                    let value = self.resolve(value, &before);
                    set(&mut self.stack, key, value);
                }
                Edit::Remove(key) => remove(&mut self.stack, key),
            }
        }
        let text = toml::to_string(&self.stack).expect("stack.toml serializes");
        std::fs::write(&self.ws.stack, text).expect("write stack.toml");
        // The pipeline builds and pushes the images stack.toml now names (a new tag, a
        // new service's) before it plans: a task definition is made only on an image
        // its repository holds.
        self.ws.push_images();

        // The probes see the old values: a check that cannot fail proves nothing.
        for c in &case.checks {
            let want = self.resolve(&c.before, &before);
            let got = c.probe.read(&self.aws).await;
            assert_eq!(
                got, want,
                "case `{name}`: {:?} before the apply (is the case's `before` stale?)",
                c.probe
            );
        }

        let run = self.ws.run(&["plan", "--json"]).ok();
        let plan: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| {
            panic!(
                "case `{name}`: plan --json is not JSON ({e}):\n{}",
                run.stdout
            )
        });
        self.check_plan(case, &plan, &before);

        let run = self.ws.run(&["apply", "--auto-approve"]);
        assert_eq!(
            run.code, 0,
            "case `{name}`: apply failed\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        let after = self.state();
        // Every recorded dependency exists, also for resources the case left alone: a
        // destroy orders by these.
        for (address, record) in &after.resources {
            for dep in &record.depends_on {
                assert!(
                    after.resources.contains_key(dep),
                    "case `{name}`: {address} still records a dependency on {dep}, which is gone"
                );
            }
        }
        for e in &case.changes {
            let address: Address = e.address.parse().unwrap();
            let ids = (
                before.resources.get(&address),
                after.resources.get(&address),
            );
            match (e.action, ids) {
                ("update", (Some(b), Some(a))) => assert_eq!(
                    b.id, a.id,
                    "case `{name}`: {address} was updated in place, yet its id changed"
                ),
                ("replace", (Some(b), Some(a))) => assert_ne!(
                    b.id, a.id,
                    "case `{name}`: {address} was replaced, yet its id is the same"
                ),
                ("create", (None, Some(_))) | ("delete", (Some(_), None)) => {}
                (action, _) => panic!("case `{name}`: {address} ({action}) before/after: {ids:?}"),
            }
        }
        for c in &case.checks {
            let want = self.resolve(&c.after, &after);
            let got = c.probe.read(&self.aws).await;
            assert_eq!(got, want, "case `{name}`: {:?} after the apply", c.probe);
        }
        self.assert_clean(name);
    }

    fn check_plan(&self, case: &Case, plan: &Value, state: &State) {
        let name = case.name;
        let changes = plan["changes"].as_array().expect("changes");
        let shown = || {
            let mut brief = changes.clone();
            for c in &mut brief {
                if let Some(o) = c.as_object_mut() {
                    o.remove("spec");
                    o.remove("depends_on");
                }
            }
            serde_json::to_string_pretty(&brief).unwrap()
        };
        let mut got: Vec<String> = changes
            .iter()
            .map(|c| {
                format!(
                    "{} {} {}",
                    str_of(&c["address"]),
                    str_of(&c["action"]),
                    str_of(&c["class"])
                )
            })
            .collect();
        got.sort();
        let mut want: Vec<String> = case
            .changes
            .iter()
            .map(|e| format!("{} {} {}", e.address, e.action, e.class))
            .collect();
        want.sort();
        assert_eq!(got, want, "case `{name}`: the planned changes\n{}", shown());
        assert_eq!(plan["has_changes"], json!(true), "case `{name}`");

        for e in &case.changes {
            let Some(fields) = &e.fields else { continue };
            let change = changes
                .iter()
                .find(|c| c["address"] == json!(e.address))
                .unwrap();
            let planned = change["fields"].as_array().expect("fields");
            let mut got: Vec<&str> = planned.iter().map(|f| str_of(&f["name"])).collect();
            got.sort();
            let mut want: Vec<&str> = fields.iter().map(|f| f.name).collect();
            want.sort();
            assert_eq!(
                got,
                want,
                "case `{name}`: the changed fields of {}\n{}",
                e.address,
                shown()
            );
            for f in fields {
                let p = planned.iter().find(|p| p["name"] == json!(f.name)).unwrap();
                let what = format!("case `{name}`: field {} of {}", f.name, e.address);
                assert_eq!(p["cause"], json!("config"), "{what}: cause");
                assert_eq!(
                    p["forces_replacement"],
                    json!(f.forces),
                    "{what}: forces_replacement"
                );
                if let Some(b) = &f.before {
                    assert_eq!(p["before"], self.resolve(b, state), "{what}: before");
                }
                match &f.after {
                    After::Unchecked => {}
                    After::Known(a) => {
                        assert_eq!(p["after_known"], json!(true), "{what}: after_known");
                        assert_eq!(p["after"], self.resolve(a, state), "{what}: after");
                    }
                    After::Unknown => {
                        assert_eq!(p["after_known"], json!(false), "{what}: after_known");
                    }
                }
            }
        }
    }

    fn assert_clean(&self, what: &str) {
        let run = self.ws.run(&["plan", "--detailed-exitcode"]);
        assert_eq!(
            run.code, 0,
            "{what}: the plan after apply is not clean\nstdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
    }

    fn state(&self) -> State {
        let text = std::fs::read_to_string(self.ws.state_path()).expect("read the state");
        serde_json::from_str(&text).expect("the state is JSON")
    }

    fn resolve(&self, v: &Value, state: &State) -> Value {
        match v {
            Value::String(s) => Value::String(self.substitute(s, state)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|i| self.resolve(i, state)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, i)| (k.clone(), self.resolve(i, state)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn substitute(&self, text: &str, state: &State) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let end = start + rest[start..].find('}').expect("`${` without `}`");
            out.push_str(&self.lookup(&rest[start + 2..end], state));
            rest = &rest[end + 1..];
        }
        out.push_str(rest);
        out
    }

    fn lookup(&self, name: &str, state: &State) -> String {
        if let Some(v) = self.vars.get(name) {
            return v.clone();
        }
        let (address, output) = name
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("`${{{name}}}` is neither a variable nor ADDRESS.OUTPUT"));
        let address: Address = address.parse().expect("an address");
        let record = state
            .resources
            .get(&address)
            .unwrap_or_else(|| panic!("`${{{name}}}`: {address} is not in the state"));
        match output {
            "id" => record.id.to_string(),
            o => record
                .outputs
                .get(o)
                .unwrap_or_else(|| panic!("`${{{name}}}`: {address} has no output {o}"))
                .clone(),
        }
    }
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or("?")
}

fn set(table: &mut toml::Table, key: &str, value: Value) {
    let value = toml::Value::try_from(value).expect("a TOML value");
    let (path, last) = key.rsplit_once('.').map_or(("", key), |(p, l)| (p, l));
    let mut t = table;
    for k in path.split('.').filter(|k| !k.is_empty()) {
        if !t.contains_key(k) {
            t.insert(k.to_string(), toml::Value::Table(toml::Table::new()));
        }
        t = t
            .get_mut(k)
            .and_then(toml::Value::as_table_mut)
            .unwrap_or_else(|| panic!("`{k}` in `{key}` is not a table"));
    }
    t.insert(last.to_string(), value);
}

fn remove(table: &mut toml::Table, key: &str) {
    let (path, last) = key.rsplit_once('.').map_or(("", key), |(p, l)| (p, l));
    let mut t = table;
    for k in path.split('.').filter(|k| !k.is_empty()) {
        t = t
            .get_mut(k)
            .and_then(toml::Value::as_table_mut)
            .unwrap_or_else(|| panic!("`{key}`: no table `{k}`"));
    }
    assert!(t.remove(last).is_some(), "`{key}` is not in stack.toml");
}

/// An ACM certificate requested from the emulator. The SDK clients of this crate do
/// not include ACM, and the request is one unsigned JSON call: the emulator takes the
/// service and region from the credential scope and does not check signatures. An
/// ACM certificate is what stack.toml takes; the emulator's load balancer checks that
/// a listener's certificate exists in its ACM (or IAM). `region` is the certificate's
/// (CloudFront takes certificates from us-east-1 only).
fn request_certificate(endpoint: &str, region: &str, domain: &str, also: &[&str]) -> String {
    let host = endpoint.trim_start_matches("http://");
    let mut names = vec![domain];
    names.extend(also);
    let body = json!({ "DomainName": domain, "SubjectAlternativeNames": names }).to_string();
    let mut stream = TcpStream::connect(host).expect("connect to the emulator");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         X-Amz-Target: CertificateManager.RequestCertificate\r\n\
         Authorization: AWS4-HMAC-SHA256 Credential=test/20250101/{region}/acm/aws4_request, \
         SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send RequestCertificate");
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .expect("read RequestCertificate");
    let json_start = answer
        .find('{')
        .unwrap_or_else(|| panic!("RequestCertificate: {answer}"));
    let json_end = answer.rfind('}').unwrap_or(answer.len() - 1);
    let parsed: Value =
        serde_json::from_str(&answer[json_start..=json_end]).expect("RequestCertificate JSON");
    parsed["CertificateArn"]
        .as_str()
        .unwrap_or_else(|| panic!("RequestCertificate: {answer}"))
        .to_string()
}
