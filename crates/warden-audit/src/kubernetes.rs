//! Kubernetes objects from YAML documents (also `List` objects, as `kubectl get -o
//! yaml` writes them), and the pod template inside each workload kind, so pod rules
//! are written once for Pods, Deployments, StatefulSets, DaemonSets, ReplicaSets,
//! Jobs and CronJobs.

use crate::yaml::{Node, Pos};

/// Kinds whose objects carry a pod spec, and where.
const POD_SPEC_PATHS: &[(&str, &[&str])] = &[
    ("Pod", &["spec"]),
    ("Deployment", &["spec", "template", "spec"]),
    ("StatefulSet", &["spec", "template", "spec"]),
    ("DaemonSet", &["spec", "template", "spec"]),
    ("ReplicaSet", &["spec", "template", "spec"]),
    ("ReplicationController", &["spec", "template", "spec"]),
    ("Job", &["spec", "template", "spec"]),
    ("CronJob", &["spec", "jobTemplate", "spec", "template", "spec"]),
];

/// One object of a manifest.
#[derive(Clone, Debug)]
pub struct Object {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    /// As written; empty when the manifest leaves it to the context.
    pub namespace: String,
    pub doc: Node,
}

impl Object {
    /// `Kind/name`, or `Kind/namespace/name`: how findings name their subject.
    pub fn id(&self) -> String {
        if self.namespace.is_empty() {
            format!("{}/{}", self.kind, self.name)
        } else {
            format!("{}/{}/{}", self.kind, self.namespace, self.name)
        }
    }

    pub fn pos(&self) -> Pos {
        self.doc.get("kind").map(|k| k.pos).unwrap_or(self.doc.pos)
    }

    /// The pod spec of a Pod or of a workload's template.
    pub fn pod_spec(&self) -> Option<&Node> {
        let (_, path) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == self.kind)?;
        self.doc.path(path).filter(|n| n.is_map())
    }

    /// The labels pods of this workload get (the template's, or a Pod's own).
    pub fn pod_labels(&self) -> Option<&Node> {
        if self.kind == "Pod" {
            return self.doc.path(&["metadata", "labels"]);
        }
        let (_, path) = POD_SPEC_PATHS.iter().find(|(k, _)| *k == self.kind)?;
        let template = &path[..path.len() - 1];
        self.doc.path(template)?.path(&["metadata", "labels"])
    }

    /// Every container of the pod spec: init, regular and ephemeral.
    pub fn containers(&self) -> Vec<&Node> {
        let Some(spec) = self.pod_spec() else { return Vec::new() };
        ["initContainers", "containers", "ephemeralContainers"]
            .iter()
            .filter_map(|k| spec.get(k))
            .flat_map(|list| list.items().iter())
            .collect()
    }
}

/// The Kubernetes objects among `docs` (a document without `apiVersion` and
/// `kind` is not one).
pub fn objects(docs: &[Node]) -> Vec<Object> {
    let mut out = Vec::new();
    for doc in docs {
        collect(doc, &mut out, 0);
    }
    out
}

fn collect(doc: &Node, out: &mut Vec<Object>, depth: usize) {
    let (Some(api), Some(kind)) =
        (doc.get("apiVersion").and_then(Node::as_str), doc.get("kind").and_then(Node::as_str))
    else {
        return;
    };
    if kind == "List" || kind.ends_with("List") && doc.get("items").is_some() {
        if depth < 4 {
            for item in doc.get("items").map(Node::items).unwrap_or_default() {
                collect(item, out, depth + 1);
            }
        }
        return;
    }
    let meta = |key: &str| doc.path(&["metadata", key]).and_then(Node::as_str).unwrap_or_default().to_string();
    out.push(Object {
        api_version: api.to_string(),
        kind: kind.to_string(),
        name: meta("name"),
        namespace: meta("namespace"),
        doc: doc.clone(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{DEFAULT_BUDGET, parse};

    #[test]
    fn workloads_expose_their_pod_spec_and_containers() {
        let text = "apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: nightly, namespace: ml}\nspec:\n  jobTemplate:\n    spec:\n      template:\n        metadata: {labels: {app: x}}\n        spec:\n          initContainers: [{name: init}]\n          containers: [{name: main}]\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Service, metadata: {name: s}}\n";
        let objs = objects(&parse(text, DEFAULT_BUDGET).unwrap());
        assert_eq!(objs.len(), 2);
        assert_eq!(objs[0].id(), "CronJob/ml/nightly");
        let names: Vec<_> = objs[0].containers().iter().map(|c| c.get("name").unwrap().as_str().unwrap()).collect();
        assert_eq!(names, ["init", "main"]);
        assert_eq!(objs[0].pod_labels().unwrap().get("app").unwrap().as_str(), Some("x"));
        assert_eq!(objs[1].kind, "Service");
        assert!(objs[1].pod_spec().is_none());
    }
}
