//! What the Kubernetes rules share: containers with their pod around them (the pod
//! securityContext applies unless the container overrides it), where to point when
//! something is missing, namespaces, label selectors, image references and the
//! recognition of model-serving containers.

use crate::context::Context;
use crate::finding::Findings;
use crate::input::File;
use crate::kubernetes::Object;
use crate::rule::Rule;
use crate::yaml::{Node, Pos};

/// Which list of the pod spec a container comes from: some rules apply to one only
/// (an init container answers no probe; an ephemeral one takes no resources).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Init,
    Main,
    Ephemeral,
}

/// An object with a pod spec: a Pod or a workload's template.
#[derive(Clone, Copy)]
pub struct Pod<'a> {
    pub file: &'a File,
    pub object: &'a Object,
    pub spec: &'a Node,
}

/// One container, with the pod it runs in.
#[derive(Clone, Copy)]
pub struct Container<'a> {
    pub pod: Pod<'a>,
    pub node: &'a Node,
    pub name: &'a str,
    pub role: Role,
}

/// Every object with a pod spec.
pub fn pods<'a>(cx: &Context<'a>) -> Vec<Pod<'a>> {
    cx.pods().map(|(file, object, spec)| Pod { file, object, spec }).collect()
}

/// Every container of every pod spec.
pub fn containers<'a>(cx: &Context<'a>) -> Vec<Container<'a>> {
    pods(cx).into_iter().flat_map(|pod| pod.containers()).collect()
}

impl<'a> Pod<'a> {
    pub fn containers(self) -> Vec<Container<'a>> {
        let lists =
            [("initContainers", Role::Init), ("containers", Role::Main), ("ephemeralContainers", Role::Ephemeral)];
        let mut out = Vec::new();
        for (key, role) in lists {
            for node in self.spec.get(key).map(Node::items).unwrap_or_default() {
                let name = node.get("name").and_then(Node::as_str).unwrap_or("?");
                out.push(Container { pod: self, node, name, role });
            }
        }
        out
    }

    /// The namespace the pod runs in ("default" when the manifest leaves it out).
    pub fn namespace(&self) -> &'a str {
        namespace(self.object)
    }

    /// The pod's labels (its template's, for a workload).
    pub fn labels(&self) -> Option<&'a Node> {
        self.object.pod_labels()
    }

    /// A pod-level setting: `spec.<key>` with the key node.
    pub fn field(&self, key: &str) -> Option<(&'a Node, &'a Node)> {
        self.spec.entry(key)
    }

    /// The pod template's annotations (a Pod's own).
    pub fn annotations(&self) -> Option<&'a Node> {
        if self.object.kind == "Pod" {
            return self.object.doc.path(&["metadata", "annotations"]);
        }
        template_metadata(self.object)?.get("annotations")
    }

    /// The volume of the pod spec named `name`.
    pub fn volume(&self, name: &str) -> Option<&'a Node> {
        self.spec.get("volumes")?.items().iter().find(|v| v.get("name").and_then(Node::as_str) == Some(name))
    }
}

/// The `metadata` of a workload's pod template.
fn template_metadata(object: &Object) -> Option<&Node> {
    let path: &[&str] = match object.kind.as_str() {
        "CronJob" => &["spec", "jobTemplate", "spec", "template", "metadata"],
        _ => &["spec", "template", "metadata"],
    };
    object.doc.path(path)
}

impl<'a> Container<'a> {
    /// How findings name it: `Deployment/ml/serve container model`.
    pub fn subject(&self) -> String {
        format!("{} container {}", self.pod.object.id(), self.name)
    }

    /// Where to point when the container lacks something: its `name:` key.
    pub fn anchor(&self) -> Pos {
        self.node.entry("name").map(|(k, _)| k.pos).unwrap_or(self.node.pos)
    }

    /// Where to point when a securityContext field is missing: the container's
    /// `securityContext:` key, else the container.
    pub fn security_anchor(&self) -> Pos {
        self.node.entry("securityContext").map(|(k, _)| k.pos).unwrap_or_else(|| self.anchor())
    }

    /// A field of the container's own securityContext, with its key node.
    pub fn own_security(&self, path: &[&str]) -> Option<(&'a Node, &'a Node)> {
        entry_at(self.node.get("securityContext")?, path)
    }

    /// Reports `rule` unless a securityContext field (`found`, from `own_security`
    /// or `security`) is the boolean `want`: at its key when it holds anything
    /// else (`wrong` words it from the value as written), at the securityContext
    /// when it is missing.
    pub fn require_bool(
        &self,
        out: &mut Findings,
        rule: &'static Rule,
        found: Option<(&Node, &Node)>,
        want: bool,
        wrong: impl FnOnce(&str) -> String,
        missing: &str,
    ) {
        match found {
            Some((_, v)) if v.as_bool() == Some(want) => {}
            Some((key, v)) => {
                out.add(rule, &self.pod.file.path, key.pos, self.subject(), wrong(v.as_str().unwrap_or("?")))
            }
            None => out.add(rule, &self.pod.file.path, self.security_anchor(), self.subject(), missing),
        }
    }

    /// A securityContext field as it applies: the container's, else the pod's (for
    /// the fields both levels have: runAsUser, runAsNonRoot, seccompProfile...).
    pub fn security(&self, path: &[&str]) -> Option<(&'a Node, &'a Node)> {
        self.own_security(path).or_else(|| entry_at(self.pod.spec.get("securityContext")?, path))
    }

    pub fn image(&self) -> Option<(&'a Node, &'a str)> {
        let (key, value) = self.node.entry("image")?;
        Some((key, value.as_str()?))
    }

    /// `command` then `args`: each item with its node.
    pub fn argv(&self) -> Vec<&'a Node> {
        ["command", "args"].iter().filter_map(|k| self.node.get(k)).flat_map(|l| l.items().iter()).collect()
    }

    /// The container ports, as numbers with their item.
    pub fn ports(&self) -> Vec<(i64, &'a Node)> {
        let list = self.node.get("ports").map(Node::items).unwrap_or_default();
        list.iter().filter_map(|p| Some((p.get("containerPort")?.as_i64()?, p))).collect()
    }
}

/// The key node and value at `path` under `node`.
pub fn entry_at<'a>(node: &'a Node, path: &[&str]) -> Option<(&'a Node, &'a Node)> {
    let (last, parents) = path.split_last()?;
    node.path(parents)?.entry(last)
}

/// The namespace an object lives in: "default" when the manifest leaves it to the
/// context, which is where `kubectl apply` puts it unless told otherwise.
pub fn namespace(object: &Object) -> &str {
    if object.namespace.is_empty() { "default" } else { &object.namespace }
}

/// The object of `kind` named `name` in namespace `ns`.
pub fn find<'a>(cx: &Context<'a>, kind: &str, ns: &str, name: &str) -> Option<(&'a File, &'a Object)> {
    cx.objects().find(|(_, o)| o.kind == kind && o.name == name && namespace(o) == ns)
}

/// The scalar items of a list (or a lone scalar written where a list belongs).
pub fn strings(node: Option<&Node>) -> Vec<(&Node, &str)> {
    let Some(node) = node else { return Vec::new() };
    if let Some(s) = node.as_str() {
        return vec![(node, s)];
    }
    node.items().iter().filter_map(|i| Some((i, i.as_str()?))).collect()
}

/// The value of label `key` among `labels`.
fn label<'a>(labels: Option<&'a Node>, key: &str) -> Option<&'a str> {
    labels?.get(key)?.as_str()
}

/// A LabelSelector (`matchLabels` and `matchExpressions`) against a pod's labels,
/// as the API server evaluates it: an empty selector selects every pod.
pub fn selector_matches(selector: Option<&Node>, labels: Option<&Node>) -> bool {
    let Some(selector) = selector.filter(|s| s.is_map()) else { return true };
    let match_labels = selector.get("matchLabels").map(Node::entries).unwrap_or_default();
    let labels_ok = match_labels
        .iter()
        .all(|(k, v)| k.as_str().is_some_and(|k| label(labels, k).is_some() && label(labels, k) == v.as_str()));
    let expressions = selector.get("matchExpressions").map(Node::items).unwrap_or_default();
    labels_ok && expressions.iter().all(|e| expression_matches(e, labels))
}

fn expression_matches(expression: &Node, labels: Option<&Node>) -> bool {
    let Some(key) = expression.get("key").and_then(Node::as_str) else { return false };
    let values: Vec<&str> = strings(expression.get("values")).into_iter().map(|(_, s)| s).collect();
    let value = label(labels, key);
    match expression.get("operator").and_then(Node::as_str) {
        Some("In") => value.is_some_and(|v| values.contains(&v)),
        Some("NotIn") => value.is_none_or(|v| !values.contains(&v)),
        Some("Exists") => value.is_some(),
        Some("DoesNotExist") => value.is_none(),
        _ => false,
    }
}

/// A Service's `selector` (a plain map) against a pod's labels: a Service without
/// a selector selects no pod.
pub fn service_selects(selector: Option<&Node>, labels: Option<&Node>) -> bool {
    let entries = selector.map(Node::entries).unwrap_or_default();
    !entries.is_empty()
        && entries
            .iter()
            .all(|(k, v)| k.as_str().is_some_and(|k| label(labels, k).is_some() && label(labels, k) == v.as_str()))
}

/// An image reference split up: `registry/path/name[:tag][@digest]`.
#[derive(Debug, PartialEq, Eq)]
pub struct Image<'a> {
    /// Everything before the tag and digest.
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> Image<'a> {
    pub fn parse(reference: &'a str) -> Image<'a> {
        let reference = reference.trim();
        let (rest, digest) = match reference.split_once('@') {
            Some((r, d)) => (r, Some(d)),
            None => (reference, None),
        };
        // A colon after the last slash starts the tag; one before it is a registry port.
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        match rest[slash..].rfind(':') {
            Some(i) => Image { name: &rest[..slash + i], tag: Some(&rest[slash + i + 1..]), digest },
            None => Image { name: rest, tag: None, digest },
        }
    }

    /// Pinned by a `sha256:` digest of the right length.
    pub fn pinned(&self) -> bool {
        self.digest
            .and_then(|d| d.strip_prefix("sha256:"))
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
    }

    /// A digest of zeros: a placeholder someone meant to replace.
    pub fn placeholder_digest(&self) -> bool {
        self.pinned() && self.digest.is_some_and(|d| d["sha256:".len()..].bytes().all(|b| b == b'0'))
    }
}

/// Words in image names and workload names that mark a model server. The image
/// alone is enough; a name needs a serving command or an inference port too.
const MODEL_SERVER_WORDS: &[&str] = &[
    "warden",
    "triton",
    "kserve",
    "torchserve",
    "tfserving",
    "tensorflow-serving",
    "tensorflow/serving",
    "seldon",
    "mlserver",
    "vllm",
    "model-server",
    "modelserver",
    "text-generation-inference",
];

/// Ports model servers listen on: Warden 8443, Triton 8000/8001, TorchServe and
/// KServe 8080, TF Serving 8500/8501.
const INFERENCE_PORTS: &[i64] = &[8443, 8000, 8001, 8080, 8500, 8501];

fn names_model_server(text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    MODEL_SERVER_WORDS.iter().any(|w| text.contains(w))
}

/// True for a container that serves a model. See the `why` of
/// `k8s-model-server-ingress-open` for the heuristic.
pub fn is_model_server(cx: &Context<'_>, c: &Container<'_>) -> bool {
    if c.role != Role::Main {
        return false;
    }
    if c.image().is_some_and(|(_, image)| names_model_server(Image::parse(image).name)) {
        return true;
    }
    if super::warden::is_warden(cx, c) {
        return true;
    }
    let app = label(c.pod.labels(), "app").into_iter().chain(label(c.pod.labels(), "app.kubernetes.io/name"));
    let named =
        names_model_server(c.name) || names_model_server(&c.pod.object.name) || app.into_iter().any(names_model_server);
    let serves = c.argv().iter().any(|a| a.as_str().is_some_and(|s| s.split_whitespace().any(|w| w == "serve")))
        || c.ports().iter().any(|(p, _)| INFERENCE_PORTS.contains(p));
    named && serves
}

/// The model-serving containers of a pod.
pub fn model_servers<'a>(cx: &Context<'_>, pod: Pod<'a>) -> Vec<Container<'a>> {
    pod.containers().into_iter().filter(|c| is_model_server(cx, c)).collect()
}

/// Every pod that runs a model server.
pub fn model_pods<'a>(cx: &Context<'a>) -> Vec<Pod<'a>> {
    pods(cx).into_iter().filter(|p| !model_servers(cx, *p).is_empty()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{DEFAULT_BUDGET, parse};

    #[test]
    fn images_split_into_name_tag_and_digest() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let with_port = format!("localhost:5000/ml/warden:1.2@{digest}");
        let image = Image::parse(&with_port);
        assert_eq!((image.name, image.tag), ("localhost:5000/ml/warden", Some("1.2")));
        assert!(image.pinned() && !image.placeholder_digest());
        assert_eq!(Image::parse("localhost:5000/warden").tag, None);
        assert_eq!(Image::parse("nginx").name, "nginx");
        let zeros = format!("x@sha256:{}", "0".repeat(64));
        assert!(Image::parse(&zeros).placeholder_digest());
        assert!(!Image::parse("x@sha256:123").pinned());
    }

    #[test]
    fn selectors_follow_the_api_semantics() {
        let docs = parse(
            "labels: {app: model, tier: serving}\nall: {}\nyes: {matchLabels: {app: model}, matchExpressions: [{key: tier, operator: In, values: [serving]}, {key: canary, operator: DoesNotExist}]}\nno: {matchExpressions: [{key: tier, operator: NotIn, values: [serving]}]}\nbad: {matchExpressions: [{key: tier, operator: Sideways}]}\n",
            DEFAULT_BUDGET,
        )
        .unwrap();
        let labels = docs[0].get("labels");
        assert!(selector_matches(docs[0].get("all"), labels));
        assert!(selector_matches(None, labels));
        assert!(selector_matches(docs[0].get("yes"), labels));
        assert!(!selector_matches(docs[0].get("no"), labels));
        assert!(!selector_matches(docs[0].get("bad"), labels));
        assert!(!service_selects(docs[0].get("all"), labels));
        assert!(service_selects(docs[0].path(&["yes", "matchLabels"]), labels));
    }
}
