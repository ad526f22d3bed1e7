//! Stage 2, collect: the join points of a parsed crate.
//!
//! Collection walks every file once and records each function definition ([`FnSite`]) and
//! call site ([`CallSite`]) with the context a rule can name: module path, `impl` self type,
//! trait, and the signature facts code generation needs ([`crate::sig`]). It knows nothing
//! of rules: matching ([`crate::matcher`]) is a filter over these lists.

use proc_macro2::LineColumn;
use quote::ToTokens;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};

use crate::parse::{self, CrateSources, macro_items, unraw};
use crate::sig::{Shape, SigFacts};

/// One function definition with a body.
#[derive(Clone, Debug)]
pub struct FnSite {
    pub file: usize,
    pub module: Vec<String>,
    pub receiver: Option<String>,
    pub trait_name: Option<String>,
    pub name: String,
    pub shape: Shape,
    /// Parameter names (`self` for receivers); `None` for patterns such as `(a, b): (u8, u8)`.
    pub params: Vec<Option<String>>,
    /// The declared return type as tokens, and whether it can be written in a `let`.
    pub ret: String,
    pub ret_nameable: bool,
    pub is_const: bool,
    pub is_unsafe: bool,
    /// Declared `pub` (not `pub(crate)` or narrower).
    pub is_pub: bool,
    /// Under `#[cfg(test)]` (the fn, an impl or module around it, its file) or a `#[test]`.
    pub in_test: bool,
    pub track_caller: bool,
    /// `fn main` at the top of the crate root.
    pub is_main: bool,
    /// `// otel:span [name]` directly above the fn.
    pub directive: Option<String>,
    pub ident_at: LineColumn,
    pub body_open: LineColumn,
    pub body_close: LineColumn,
}

impl FnSite {
    /// `module::Type::name`, the default span name of a directive.
    pub fn qualified(&self) -> String {
        let mut parts = self.module.clone();
        if let Some(r) = &self.receiver {
            parts.push(r.clone());
        } else if let Some(t) = &self.trait_name {
            parts.push(t.clone());
        }
        parts.push(self.name.clone());
        parts.join("::")
    }
}

/// One call `path(args)` or `recv.method(args)`.
#[derive(Clone, Debug)]
pub struct CallSite {
    pub file: usize,
    /// For path calls: the callee path segments. For method calls: empty.
    pub path: Vec<String>,
    /// For method calls: the method name.
    pub method: Option<String>,
    /// For method calls: the callee path of the call at the root of the receiver chain
    /// (`Builder::new` in `Builder::new().name(..).spawn(..)`).
    pub receiver_root: Vec<String>,
    /// For method calls on a closure parameter: the path of the call that closure was
    /// passed to (`thread::scope` for `s.spawn(..)` inside `thread::scope(|s| ..)`).
    pub receiver_scope: Vec<String>,
    /// Start and end of each argument.
    pub args: Vec<(LineColumn, LineColumn)>,
    pub at: LineColumn,
}

/// Every join point of a crate.
#[derive(Default)]
pub struct JoinPoints {
    pub fns: Vec<FnSite>,
    pub calls: Vec<CallSite>,
    /// Item-position macro calls whose bodies are not items: fns inside are invisible.
    pub opaque_macros: Vec<(usize, LineColumn, String)>,
}

/// Walk every file and collect its join points. Call sites are collected only when
/// `with_calls` (some rule advises call sites): their argument spans cost a token walk each.
pub fn collect(sources: &CrateSources, with_calls: bool) -> JoinPoints {
    let mut points = JoinPoints::default();
    for (index, file) in sources.files.iter().enumerate() {
        let mut collector = Collector {
            points: &mut points,
            file: index,
            lines: file.text.lines().collect(),
            with_calls,
            module: file.module.clone(),
            receiver: None,
            trait_name: None,
            top_level: true,
            root_file: index == 0,
            scopes: Vec::new(),
            in_test: file.cfg_test,
        };
        for item in &file.ast.items {
            collector.visit_item(item);
        }
    }
    points
}

struct Collector<'a> {
    points: &'a mut JoinPoints,
    file: usize,
    lines: Vec<&'a str>,
    with_calls: bool,
    module: Vec<String>,
    receiver: Option<String>,
    trait_name: Option<String>,
    top_level: bool,
    root_file: bool,
    /// Closure parameters bound by calls such as `thread::scope(|s| ..)`: (param, callee).
    scopes: Vec<(String, Vec<String>)>,
    /// Inside `#[cfg(test)]` code.
    in_test: bool,
}

fn path_segments(path: &syn::Path) -> Vec<String> {
    path.segments.iter().map(|s| unraw(&s.ident)).collect()
}

fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| unraw(&s.ident)),
        syn::Type::Reference(r) => type_name(&r.elem),
        syn::Type::Paren(p) => type_name(&p.elem),
        _ => None,
    }
}

fn item_start(attrs: &[syn::Attribute], fallback: proc_macro2::Span) -> LineColumn {
    attrs
        .iter()
        .map(|a| a.pound_token.span.start())
        .chain(std::iter::once(fallback.start()))
        .min_by_key(|lc| (lc.line, lc.column))
        .unwrap_or(fallback.start())
}

/// Where advice goes in a body: after its `{`, or after its inner attributes (`fn f() {
/// #![allow(..)] .. }`), which must stay first. syn keeps a fn's inner attributes with its
/// outer ones; they are the ones inside the braces.
fn body_start(attrs: &[syn::Attribute], block: &syn::Block) -> LineColumn {
    let open = block.brace_token.span.open().end();
    attrs
        .iter()
        .filter(|a| matches!(a.style, syn::AttrStyle::Inner(_)))
        .map(|a| a.bracket_token.span.close().end())
        .filter(|end| (end.line, end.column) > (open.line, open.column))
        .max_by_key(|end| (end.line, end.column))
        .unwrap_or(open)
}

/// The line of the signature itself (after attributes and doc comments).
fn sig_line(vis_start: proc_macro2::Span, sig: &syn::Signature) -> usize {
    let starts = [vis_start.start(), sig.fn_token.span.start()];
    starts.iter().map(|s| s.line).min().unwrap_or(1)
}

/// Lines covered by outer attributes (doc comments included).
fn attr_lines(attrs: &[syn::Attribute]) -> Vec<usize> {
    attrs
        .iter()
        .filter(|a| matches!(a.style, syn::AttrStyle::Outer))
        .flat_map(|a| a.pound_token.span.start().line..=a.bracket_token.span.close().end().line)
        .collect()
}

/// The `// otel:span [name]` directive in the comment lines right above `line` (1-based),
/// looking through `skip` lines (the fn's attributes and doc comments), so a directive
/// between a doc comment and the fn counts as much as one above both.
fn directive_above(lines: &[&str], line: usize, skip: &[usize]) -> Option<String> {
    let mut index = line.checked_sub(1)?;
    while index > 0 {
        index -= 1;
        let l = lines.get(index)?.trim();
        if let Some(rest) = l.strip_prefix("//") {
            let rest = rest.trim_start_matches('/').trim();
            if let Some(arg) = rest.strip_prefix("otel:span") {
                return Some(arg.trim().to_string());
            }
            continue;
        }
        if skip.contains(&(index + 1)) {
            continue;
        }
        return None;
    }
    None
}

impl Collector<'_> {
    fn record_fn(
        &mut self,
        attrs: &[syn::Attribute],
        vis: Option<&syn::Visibility>,
        sig: &syn::Signature,
        block: &syn::Block,
    ) {
        let vis_start = match vis {
            Some(v @ (syn::Visibility::Public(_) | syn::Visibility::Restricted(_))) => v.span(),
            _ => sig.span(),
        };
        let facts = SigFacts::of(sig);
        let start = item_start(attrs, vis_start);
        let site = FnSite {
            file: self.file,
            module: self.module.clone(),
            receiver: self.receiver.clone(),
            trait_name: self.trait_name.clone(),
            name: unraw(&sig.ident),
            shape: facts.shape,
            params: facts.params,
            ret: facts.ret,
            ret_nameable: facts.ret_nameable,
            is_const: sig.constness.is_some(),
            is_unsafe: sig.unsafety.is_some(),
            is_pub: matches!(vis, Some(syn::Visibility::Public(_))),
            in_test: self.in_test || parse::is_cfg_test(attrs) || attrs.iter().any(|a| a.path().is_ident("test")),
            track_caller: attrs.iter().any(|a| a.path().is_ident("track_caller")),
            is_main: self.root_file
                && self.top_level
                && self.module.is_empty()
                && self.receiver.is_none()
                && sig.ident == "main",
            directive: directive_above(&self.lines, sig_line(vis_start, sig), &attr_lines(attrs))
                .or_else(|| directive_above(&self.lines, start.line, &[])),
            ident_at: sig.ident.span().start(),
            body_open: body_start(attrs, block),
            body_close: block.brace_token.span.close().start(),
        };
        self.points.fns.push(site);
    }

    /// Visit a fn body with a fresh item context (nested fns are free fns).
    fn visit_body(&mut self, block: &syn::Block) {
        let saved = (self.receiver.take(), self.trait_name.take(), self.top_level);
        self.top_level = false;
        self.visit_block(block);
        (self.receiver, self.trait_name, self.top_level) = saved;
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.record_fn(&f.attrs, Some(&f.vis), &f.sig, &f.block);
        self.visit_body(&f.block);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.record_fn(&f.attrs, Some(&f.vis), &f.sig, &f.block);
        self.visit_body(&f.block);
    }

    fn visit_trait_item_fn(&mut self, f: &'ast syn::TraitItemFn) {
        if let Some(block) = &f.default {
            self.record_fn(&f.attrs, None, &f.sig, block);
            self.visit_body(block);
        }
    }

    fn visit_item_impl(&mut self, i: &'ast syn::ItemImpl) {
        let saved_test = self.in_test;
        self.in_test |= parse::is_cfg_test(&i.attrs);
        let saved = (self.receiver.clone(), self.trait_name.clone());
        self.receiver = type_name(&i.self_ty);
        self.trait_name = i.trait_.as_ref().and_then(|(_, p, _)| p.segments.last().map(|s| unraw(&s.ident)));
        for item in &i.items {
            self.visit_impl_item(item);
        }
        (self.receiver, self.trait_name) = saved;
        self.in_test = saved_test;
    }

    fn visit_item_trait(&mut self, t: &'ast syn::ItemTrait) {
        let saved = (self.receiver.take(), self.trait_name.clone());
        self.trait_name = Some(unraw(&t.ident));
        for item in &t.items {
            self.visit_trait_item(item);
        }
        (self.receiver, self.trait_name) = saved;
    }

    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if let Some((_, items)) = &m.content {
            let saved_test = self.in_test;
            self.in_test |= parse::is_cfg_test(&m.attrs);
            self.module.push(unraw(&m.ident));
            for item in items {
                self.visit_item(item);
            }
            self.module.pop();
            self.in_test = saved_test;
        }
    }

    fn visit_item_macro(&mut self, m: &'ast syn::ItemMacro) {
        match macro_items(&m.mac) {
            Some(items) => {
                for item in &items {
                    self.visit_item(item);
                }
            }
            None if !m.mac.path.is_ident("macro_rules") => {
                let name = m.mac.path.to_token_stream().to_string();
                self.points.opaque_macros.push((self.file, m.mac.path.span().start(), name));
            }
            None => {}
        }
    }

    fn visit_expr_call(&mut self, call: &'ast syn::ExprCall) {
        if !self.with_calls {
            return visit::visit_expr_call(self, call);
        }
        if let syn::Expr::Path(p) = &*call.func {
            let path = path_segments(&p.path);
            self.points.calls.push(CallSite {
                file: self.file,
                path: path.clone(),
                method: None,
                receiver_root: Vec::new(),
                receiver_scope: Vec::new(),
                args: call.args.iter().map(|a| (a.span().start(), a.span().end())).collect(),
                at: p.span().start(),
            });
            // Closure parameters of this call (e.g. `thread::scope(|s| ..)`) are scopes.
            let mut pushed = 0;
            for arg in &call.args {
                if let syn::Expr::Closure(c) = arg {
                    for input in &c.inputs {
                        if let syn::Pat::Ident(i) = input {
                            self.scopes.push((unraw(&i.ident), path.clone()));
                            pushed += 1;
                        }
                    }
                }
            }
            visit::visit_expr_call(self, call);
            self.scopes.truncate(self.scopes.len() - pushed);
            return;
        }
        visit::visit_expr_call(self, call);
    }

    fn visit_expr_method_call(&mut self, call: &'ast syn::ExprMethodCall) {
        if !self.with_calls {
            return visit::visit_expr_method_call(self, call);
        }
        let mut root = &*call.receiver;
        while let syn::Expr::MethodCall(inner) = root {
            root = &inner.receiver;
        }
        let (receiver_root, receiver_scope) = match root {
            syn::Expr::Call(c) => match &*c.func {
                syn::Expr::Path(p) => (path_segments(&p.path), Vec::new()),
                _ => (Vec::new(), Vec::new()),
            },
            syn::Expr::Path(p) if p.path.segments.len() == 1 => {
                let name = unraw(&p.path.segments[0].ident);
                let scope = self
                    .scopes
                    .iter()
                    .rev()
                    .find(|(param, _)| *param == name)
                    .map(|(_, callee)| callee.clone())
                    .unwrap_or_default();
                (Vec::new(), scope)
            }
            _ => (Vec::new(), Vec::new()),
        };
        self.points.calls.push(CallSite {
            file: self.file,
            path: Vec::new(),
            method: Some(unraw(&call.method)),
            receiver_root,
            receiver_scope,
            args: call.args.iter().map(|a| (a.span().start(), a.span().end())).collect(),
            at: call.method.span().start(),
        });
        visit::visit_expr_method_call(self, call);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::parse_crate;

    fn points_of(text: &str) -> JoinPoints {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("lib.rs");
        std::fs::write(&root, text).expect("write");
        collect(&parse_crate(&root).expect("parses"), true)
    }

    #[test]
    fn a_directive_between_doc_comment_and_fn_counts() {
        let points = points_of("/// Docs.\n/// More.\n// otel:span named\n#[inline]\nfn a() {}\n");
        assert_eq!(points.fns[0].directive.as_deref(), Some("named"));
        let points = points_of("// otel:span\n/// Docs.\n#[inline]\nfn b() {}\n");
        assert_eq!(points.fns[0].directive.as_deref(), Some(""));
        let points = points_of("/// Docs.\nfn c() {}\n");
        assert_eq!(points.fns[0].directive, None);
    }

    #[test]
    fn advice_goes_after_inner_attributes() {
        let points = points_of("fn f() {\n    #![allow(unused)]\n    let x = 1;\n}\nfn g() { 1; }\n");
        assert_eq!((points.fns[0].body_open.line, points.fns[0].body_open.column), (2, 21));
        assert_eq!((points.fns[1].body_open.line, points.fns[1].body_open.column), (5, 8));
    }

    #[test]
    fn sites_carry_module_receiver_trait_and_shape() {
        let points = points_of(
            "mod net {\n    pub struct Client;\n    impl Client {\n        pub async fn send(&self) {}\n    }\n    \
             impl Clone for Client {\n        fn clone(&self) -> Self { Client }\n    }\n}\nfn main() {}\n",
        );
        let site = |name: &str| points.fns.iter().find(|s| s.name == name).expect("site");
        let send = site("send");
        assert_eq!(send.module, ["net"]);
        assert_eq!(send.receiver.as_deref(), Some("Client"));
        assert_eq!(send.shape, Shape::Async);
        assert_eq!(send.params, [Some("self".to_string())]);
        assert_eq!(site("clone").trait_name.as_deref(), Some("Clone"));
        assert!(site("main").is_main);
        assert_eq!(send.qualified(), "net::Client::send");
    }

    #[test]
    fn call_sites_record_paths_receivers_and_closure_scopes() {
        let points = points_of(
            "fn f() {\n    std::thread::spawn(|| {});\n    std::thread::Builder::new().name(x).spawn(|| {});\n    \
             std::thread::scope(|s| { s.spawn(|| {}); });\n}\n",
        );
        assert!(points.calls.iter().any(|c| c.path == ["std", "thread", "spawn"] && c.args.len() == 1));
        let built = points.calls.iter().find(|c| c.method.as_deref() == Some("spawn") && !c.receiver_root.is_empty());
        assert_eq!(built.expect("builder spawn").receiver_root, ["std", "thread", "Builder", "new"]);
        let scoped = points.calls.iter().find(|c| c.method.as_deref() == Some("spawn") && !c.receiver_scope.is_empty());
        assert_eq!(scoped.expect("scoped spawn").receiver_scope, ["std", "thread", "scope"]);
    }

    #[test]
    fn directive_must_be_in_the_comment_block_above() {
        let text = "// otel:span checkout\n#[inline]\nfn a() {}\n\n// otel:span\n\nfn b() {}\n";
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(directive_above(&lines, 2, &[]).as_deref(), Some("checkout"));
        assert_eq!(directive_above(&lines, 7, &[]), None);
    }
}
