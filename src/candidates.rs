//! The intermediates a served chain offers to path building, chosen so that path building's
//! work is bounded whatever the server sent.
//!
//! rustls-webpki builds paths depth first and, at every step, parses every intermediate it was
//! given: a chain of many same-name CAs padded to the size limit made one verification take
//! 31 s. Before webpki sees the chain, each certificate is parsed once here, and:
//! - one that does not parse, or repeats an earlier one byte for byte, is left out (only the
//!   leaf must parse: servers send old roots and junk);
//! - one that cannot be reached from the leaf by issuer and subject names within webpki's
//!   depth limit is left out (it can be on no path);
//! - the rest are kept, unless the path-building tree they make (computed on names and keys
//!   alone, as webpki would walk it, every branch followed) would cost more than
//!   [`PATH_WORK_BUDGET`]: then fewer certificates per subject name are kept (the first ones
//!   the server sent), halving the number until it fits. At one per subject name, the tree is
//!   a single line of at most six certificates.
//!
//! Every certificate left out is listed, with why, for the explanation.

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use rustls_pki_types::{CertificateDer, TrustAnchor};
use webpki::EndEntityCert;
use x509_parser::asn1_rs::{Any, FromDer};

use crate::cert_fields::CertFields;

/// rustls-webpki's limit on intermediates in a path (`MAX_SUB_CA_COUNT`).
const MAX_PATH_INTERMEDIATES: usize = 6;

/// The most path-building work allowed for one chain, in the units of [`step_cost`]: about
/// 10 ms of CPU in release on this project's machines (measured: 56 cross-signed 64 KiB CAs
/// that fit 40,000,000 units took 30 ms; `cargo bench --bench hostile_chains`).
const PATH_WORK_BUDGET: u64 = 13_000_000;

/// What webpki costs, in work units (about 0.75 ns each in release), at one step of path
/// building with `kept` intermediates of `kept_bytes` bytes in all: it parses each of them,
/// and compares the path's issuer with each trust anchor's name.
fn step_cost(kept: usize, kept_bytes: usize, anchors: usize) -> u64 {
    (kept_bytes as u64) + 2000 * kept as u64 + 20 * anchors as u64 + 2000
}

/// Why a certificate the server sent is not offered to path building.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    /// It does not parse as a certificate webpki accepts.
    Unparsable,
    /// It repeats an earlier certificate of the chain.
    Duplicate,
    /// No issuer and subject names lead to it from the leaf: it can be on no path.
    Unreachable,
    /// No issuer and subject names lead from it to a trust anchor (only left out when the
    /// chain offers too many paths).
    Unanchored,
    /// Too many certificates share its subject name for path building to try them all.
    OverNameCap,
}

impl Ignored {
    /// How an explanation says it.
    pub fn text(self) -> &'static str {
        match self {
            Ignored::Unparsable => "does not parse",
            Ignored::Duplicate => "repeats an earlier certificate",
            Ignored::Unreachable => "issued nothing on any path from the leaf",
            Ignored::Unanchored => "leads to no trust anchor's name",
            Ignored::OverNameCap => "too many certificates with its subject name",
        }
    }
}

/// The intermediates chosen for path building, and those left out.
#[derive(Debug)]
pub struct Candidates<'a> {
    /// The chosen intermediates, in the order the server sent them.
    pub intermediates: Vec<CertificateDer<'a>>,
    /// The served certificates left out (by index in the chain), and why.
    pub ignored: Vec<(usize, Ignored)>,
}

/// One parsed intermediate: names and key interned to small numbers.
#[derive(Clone, Copy)]
struct Node {
    index: usize,
    len: usize,
    subject: u32,
    issuer: u32,
    key: u32,
}

/// Chooses the intermediates of `chain` (leaf first) to offer to path building towards
/// `anchors`. The leaf must already have parsed.
pub fn choose<'a, 'b>(chain: &[&'a [u8]], anchors: &'b [TrustAnchor<'b>]) -> Candidates<'a> {
    let mut names = Interner::default();
    let mut keys = Interner::default();
    let mut ignored = Vec::new();
    let Some(leaf) = chain.first().and_then(|leaf| CertFields::of(leaf)) else {
        return Candidates { intermediates: Vec::new(), ignored };
    };
    let leaf_issuer = names.id(contents(leaf.issuer));
    let leaf_loop_key = (names.id(contents(leaf.subject)), keys.id(leaf.spki));
    let mut nodes = Vec::with_capacity(chain.len());
    let mut seen = HashSet::with_capacity(chain.len());
    seen.insert(chain[0]);
    for (index, der) in chain.iter().enumerate().skip(1) {
        if !seen.insert(*der) {
            ignored.push((index, Ignored::Duplicate));
            continue;
        }
        let fields = CertFields::of(der);
        let parses = EndEntityCert::try_from(&CertificateDer::from(*der)).is_ok();
        match fields {
            Some(fields) if parses => nodes.push(Node {
                index,
                len: der.len(),
                subject: names.id(contents(fields.subject)),
                issuer: names.id(contents(fields.issuer)),
                key: keys.id(fields.spki),
            }),
            _ => ignored.push((index, Ignored::Unparsable)),
        }
    }
    let reachable = reachable_from(leaf_issuer, &nodes);
    for node in nodes.iter().filter(|node| !reachable.contains(&node.index)) {
        ignored.push((node.index, Ignored::Unreachable));
    }
    nodes.retain(|node| reachable.contains(&node.index));

    let tree = Tree { leaf_issuer, leaf_loop_key, anchors: anchors.len() };
    if !tree.fits(&nodes) {
        // Too many paths by names: first leave out what no names lead from to a trust anchor.
        let anchored = anchored_names(&mut names, anchors, &nodes);
        for node in nodes.iter().filter(|node| !anchored.contains(&node.issuer)) {
            ignored.push((node.index, Ignored::Unanchored));
        }
        nodes.retain(|node| anchored.contains(&node.issuer));
        let reachable = reachable_from(leaf_issuer, &nodes);
        nodes.retain(|node| reachable.contains(&node.index));
    }
    // Within one subject name, self-issued certificates (subject = issuer: the loops of
    // hostile chains, rarely on an honest path) go last.
    nodes.sort_by_key(|node| node.subject == node.issuer);
    let mut per_name = nodes.len().max(1);
    let kept = loop {
        let capped = cap_per_name(&nodes, per_name);
        let reachable = reachable_from(leaf_issuer, &capped);
        let capped: Vec<Node> =
            capped.into_iter().filter(|node| reachable.contains(&node.index)).collect();
        if per_name == 1 || tree.fits(&capped) {
            break capped;
        }
        per_name /= 2;
    };
    let mut kept = kept;
    kept.sort_by_key(|node| node.index);
    for node in &nodes {
        if !kept.iter().any(|k| k.index == node.index) {
            ignored.push((node.index, Ignored::OverNameCap));
        }
    }
    ignored.sort_unstable_by_key(|(index, _)| *index);
    Candidates {
        intermediates: kept.iter().map(|node| CertificateDer::from(chain[node.index])).collect(),
        ignored,
    }
}

/// The names from which issuer and subject names lead to a trust anchor's subject within
/// webpki's depth limit.
fn anchored_names<'a>(
    names: &mut Interner<'a>,
    anchors: &'a [TrustAnchor<'_>],
    nodes: &[Node],
) -> HashSet<u32> {
    let mut anchored = HashSet::with_capacity(anchors.len() + nodes.len());
    anchored.extend(anchors.iter().map(|anchor| names.id(anchor.subject.as_ref())));
    for _ in 0..MAX_PATH_INTERMEDIATES {
        let before = anchored.len();
        for node in nodes {
            if anchored.contains(&node.issuer) {
                anchored.insert(node.subject);
            }
        }
        if anchored.len() == before {
            break;
        }
    }
    anchored
}

/// The contents of a DER element (a Name: webpki compares names without their header).
fn contents(element: &[u8]) -> &[u8] {
    Any::from_der(element).map_or(element, |(_, any)| any.data)
}

/// The first `most` nodes of each subject name, in the order given.
fn cap_per_name(nodes: &[Node], most: usize) -> Vec<Node> {
    let mut seen: HashMap<u32, usize> = HashMap::with_capacity(nodes.len());
    let mut kept = Vec::with_capacity(nodes.len());
    for node in nodes {
        let count = seen.entry(node.subject).or_insert(0);
        if *count < most {
            *count += 1;
            kept.push(*node);
        }
    }
    kept
}

/// The served indexes of the nodes that names lead to from the leaf's issuer, within
/// webpki's depth limit.
fn reachable_from(leaf_issuer: u32, nodes: &[Node]) -> Vec<usize> {
    let mut reached = Vec::new();
    let mut frontier = vec![leaf_issuer];
    for _ in 0..MAX_PATH_INTERMEDIATES {
        let mut next = Vec::new();
        for node in nodes {
            if frontier.contains(&node.subject) && !reached.contains(&node.index) {
                reached.push(node.index);
                next.push(node.issuer);
            }
        }
        if next.is_empty() {
            break;
        }
        frontier = next;
    }
    reached
}

/// The path-building tree webpki walks over a set of intermediates.
struct Tree {
    leaf_issuer: u32,
    leaf_loop_key: (u32, u32),
    anchors: usize,
}

impl Tree {
    /// Whether walking every branch of the tree over `nodes` costs at most the budget.
    fn fits(&self, nodes: &[Node]) -> bool {
        let bytes = nodes.iter().map(|node| node.len).sum();
        let per_step = step_cost(nodes.len(), bytes, self.anchors);
        let most_steps = PATH_WORK_BUDGET / per_step;
        let mut steps = 1; // the leaf's own step
        let mut path = vec![self.leaf_loop_key];
        self.walk(nodes, self.leaf_issuer, &mut path, &mut steps, most_steps)
    }

    /// Walks the branches below a path whose last certificate names `issuer`, as webpki does:
    /// every node with that subject, unless its name and key are already on the path; a
    /// step is counted for each (webpki counts it before refusing a path that is too long).
    /// `false` as soon as the steps exceed `most`.
    fn walk(
        &self,
        nodes: &[Node],
        issuer: u32,
        path: &mut Vec<(u32, u32)>,
        steps: &mut u64,
        most: u64,
    ) -> bool {
        for node in nodes.iter().filter(|node| node.subject == issuer) {
            if path.contains(&(node.subject, node.key)) {
                continue;
            }
            *steps += 1;
            if *steps > most {
                return false;
            }
            // The leaf and MAX_PATH_INTERMEDIATES intermediates: webpki goes no deeper.
            if path.len() > MAX_PATH_INTERMEDIATES {
                continue;
            }
            path.push((node.subject, node.key));
            let fits = self.walk(nodes, node.issuer, path, steps, most);
            path.pop();
            if !fits {
                return false;
            }
        }
        true
    }
}

/// Small numbers for byte strings (names, keys), so that the walk compares numbers.
#[derive(Default)]
struct Interner<'a> {
    ids: HashMap<&'a [u8], u32>,
}

impl<'a> Interner<'a> {
    fn id(&mut self, bytes: &'a [u8]) -> u32 {
        let next = self.ids.len() as u32;
        *self.ids.entry(bytes).or_insert(next)
    }
}
