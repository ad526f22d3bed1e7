//! Stage 4, codegen: matches → the edits that splice advice in.
//!
//! [`generate`] turns the match stage's list into [`Edit`]s per file, join-point reports and
//! warnings (a site that cannot take its advice). [`weave_fn`], the text spliced into one
//! function body, is shared by the weaver (`crate::__otel` prelude) and by `otel-macros`
//! (`::otel_runtime::__prelude`), so `#[otel_macros::span]` and `// otel:span` produce the
//! same code.
//!
//! Every function gets a *prologue* (inserted right after the body's `{`) and an
//! *epilogue* (inserted right before its `}`). Both are single lines, so no line of the
//! original body moves. Several rules on one fn nest as layers, outermost first.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::collect::FnSite;
use crate::matcher::{At, DIRECTIVE_RULE, Match};
use crate::model::{Advice, SpanTemplate};
use crate::parse::CrateSources;
use crate::sig::Shape;
use crate::splice::Edit;

/// The prelude module woven code names.
pub const PRELUDE: &str = "crate::__otel";

/// One advised place, for status lines and `explain`.
#[derive(Debug, Clone)]
pub struct JoinPointReport {
    pub rule: String,
    pub pack: String,
    pub file: PathBuf,
    pub line: usize,
    pub what: String,
}

/// What code generation produced for a unit.
#[derive(Debug, Default)]
pub struct Generated {
    /// Insertions per file (index into `CrateSources::files`).
    pub edits: BTreeMap<usize, Vec<Edit>>,
    pub joins: Vec<JoinPointReport>,
    /// Sites whose advice could not be generated, each naming the rule's `pack.toml:line:col`,
    /// the fn and its place.
    pub warnings: Vec<String>,
}

impl Generated {
    /// Names of the packs that advised at least one join point, in first-use order.
    pub fn used_packs(&self) -> Vec<String> {
        let mut used: Vec<String> = Vec::new();
        for join in &self.joins {
            if !used.contains(&join.pack) {
                used.push(join.pack.clone());
            }
        }
        used
    }
}

/// Generate the edits of every match.
pub fn generate(sources: &CrateSources, matches: &[Match<'_>]) -> Generated {
    let mut out = Generated::default();
    for m in matches {
        match m.at {
            At::Fn(site) => generate_fn(sources, m, site, &mut out),
            At::Call(call) => {
                for matched in &m.rules {
                    let Some(pack) = matched.pack else { continue };
                    for advice in &matched.rule.advice {
                        let Advice::WrapCallArg { index, func } = advice else { continue };
                        let Some((start, end)) = call.args.get(*index) else { continue };
                        let func = match func.strip_prefix("__otel::") {
                            Some(rest) => format!("{PRELUDE}::{rest}"),
                            None => format!("crate::{}::{func}", pack.advice_module()),
                        };
                        let list = out.edits.entry(call.file).or_default();
                        let scope = format!("crate::{}::__OTEL_SCOPE", pack.advice_module());
                        // The argument is evaluated outside the closure: a `?` or `return` in it
                        // keeps its meaning. A 1-tuple rather than parentheses: any expression
                        // (a struct literal too) is valid in it, its temporaries live as long,
                        // and rustc's `unused_parens` does not fire on the user's line.
                        list.push(Edit::new(*start, "match ("));
                        list.push(Edit::new(
                            *end,
                            format!(
                                ",) {{ (__otel_a,) => {{ let _otel_scope = {PRELUDE}::ScopeGuard::enter(&{scope}); {func}(__otel_a) }} }}"
                            ),
                        ));
                        out.joins.push(JoinPointReport {
                            rule: matched.rule.id.clone(),
                            pack: pack.name.clone(),
                            file: sources.files[call.file].path.clone(),
                            line: call.at.line,
                            what: call.method.clone().unwrap_or_else(|| call.path.join("::")),
                        });
                    }
                }
            }
        }
    }
    out
}

fn generate_fn(sources: &CrateSources, m: &Match<'_>, site: &FnSite, out: &mut Generated) {
    let file = &sources.files[site.file];
    let modules: Vec<String> = m
        .rules
        .iter()
        // A runtime-dependency pack's advice is the prelude's and starts nothing: no scope
        // around it (the API's context doors are hot).
        .map(|r| match r.pack {
            Some(p) if !p.runtime_dependency => format!("crate::{}", p.advice_module()),
            _ => PRELUDE.to_string(),
        })
        .collect();
    let layers: Vec<Layer> = m
        .rules
        .iter()
        .zip(&modules)
        .map(|(r, module)| Layer { pack: r.pack_name(), advice_module: module, advice: &r.rule.advice })
        .collect();
    let qualified = site.qualified();
    let info = FnInfo {
        shape: site.shape,
        params: &site.params,
        ret: &site.ret,
        ret_nameable: site.ret_nameable,
        track_caller: site.track_caller,
        is_const: site.is_const,
        qualified: &qualified,
    };
    match weave_fn_layers(&info, &layers, m.init) {
        Ok(splice) => {
            let list = out.edits.entry(site.file).or_default();
            if !splice.prologue.is_empty() {
                list.push(Edit::new(site.body_open, format!(" {}", splice.prologue.trim_end())));
            }
            if !splice.epilogue.is_empty() {
                list.push(Edit::new(site.body_close, format!("{} ", splice.epilogue.trim())));
            }
            for r in &m.rules {
                out.joins.push(JoinPointReport {
                    rule: r.rule.id.clone(),
                    pack: r.pack.map_or(DIRECTIVE_RULE, |p| p.name.as_str()).to_string(),
                    file: file.path.clone(),
                    line: site.ident_at.line,
                    what: qualified.clone(),
                });
            }
        }
        Err((layer, reason)) => {
            let at = format!("{}:{}:{}", file.path.display(), site.ident_at.line, site.ident_at.column + 1);
            // The failing layer's rule, or (a fn that takes no advice at all) the outermost one.
            let rule = layer.map_or_else(|| m.rules.first(), |i| m.rules.get(i));
            out.warnings.push(match rule {
                Some(r) if r.rule.id != DIRECTIVE_RULE => {
                    format!("{}: rule `{}` not applied to fn `{qualified}` at {at}: {reason}", r.rule.loc, r.rule.id)
                }
                Some(_) => format!("{at}: `// otel:span` not applied to fn `{qualified}`: {reason}"),
                None => format!("{at}: fn `{qualified}` not instrumented: {reason}"),
            });
        }
    }
}

/// What code generation needs to know about a fn.
pub struct FnInfo<'a> {
    pub shape: Shape,
    /// Parameter names (`self` for receivers); `None` for patterns.
    pub params: &'a [Option<String>],
    /// Return type tokens and whether they can annotate a `let` (no `impl Trait`).
    pub ret: &'a str,
    pub ret_nameable: bool,
    pub track_caller: bool,
    pub is_const: bool,
    /// `module::Type::fn`, for `{fn}` in templates.
    pub qualified: &'a str,
}

/// One rule's advice at this fn.
pub struct Layer<'a> {
    /// Pack name, for the per-instrumentation switch.
    pub pack: &'a str,
    /// Path of the pack's advice module (`crate::__otel_advice_reqwest`).
    pub advice_module: &'a str,
    pub advice: &'a [Advice],
}

/// Code to splice into a body.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Splice {
    pub prologue: String,
    pub epilogue: String,
}

/// Generate the splice for `layers` (outermost first). `prelude` is the path of the
/// prelude module. `Err` says why the fn cannot take this advice (reported, not fatal).
pub fn weave_fn(info: &FnInfo, layers: &[Layer], prelude: &str, init: bool) -> Result<Splice, String> {
    weave_with(info, layers, prelude, init).map_err(|(_, reason)| reason)
}

fn weave_fn_layers(info: &FnInfo, layers: &[Layer], init: bool) -> Result<Splice, (Option<usize>, String)> {
    weave_with(info, layers, PRELUDE, init)
}

/// As [`weave_fn`], with the index of the layer that failed (`None`: the fn itself).
fn weave_with(info: &FnInfo, layers: &[Layer], prelude: &str, init: bool) -> Result<Splice, (Option<usize>, String)> {
    if info.is_const {
        return Err((None, "a `const fn` cannot call the runtime; it is not instrumentable".into()));
    }
    let mut splice = Splice::default();
    if init {
        splice.prologue.push_str(&format!("{prelude}::init(); "));
    }
    for (index, layer) in layers.iter().enumerate() {
        let (prologue, epilogue) = weave_layer(info, layer, prelude, index).map_err(|e| (Some(index), e))?;
        splice.prologue.push_str(&prologue);
        splice.epilogue.insert_str(0, &epilogue);
    }
    Ok(splice)
}

fn resolve(func: &str, layer: &Layer, prelude: &str) -> String {
    match func.strip_prefix("__otel::") {
        Some(rest) => format!("{prelude}::{rest}"),
        None => format!("{}::{func}", layer.advice_module),
    }
}

/// `expr` (an advice call) run in the pack's instrumentation scope, so the spans it starts
/// carry the pack's scope; directive rules (advice from the prelude) keep the default.
fn scoped(expr: &str, layer: &Layer, prelude: &str) -> String {
    if layer.advice_module == prelude {
        return expr.to_string();
    }
    // A block, not a closure: `#[track_caller]` advice still sees the woven call site.
    format!("{{ let _otel_scope = {prelude}::ScopeGuard::enter(&{}::__OTEL_SCOPE); {expr} }}", layer.advice_module)
}

fn has_param(info: &FnInfo, name: &str) -> bool {
    info.params.iter().any(|p| p.as_deref() == Some(name))
}

/// Expand `{arg.path}` and `{fn}` placeholders into a Rust expression of type `&str`.
pub fn template_expr(template: &str, info: &FnInfo, prelude: &str) -> Result<String, String> {
    let mut literal = String::new();
    let mut args: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        literal.push_str(&rest[..open].replace('}', "}}"));
        let Some(close) = rest[open..].find('}') else {
            return Err(format!("unclosed `{{` in template `{template}`"));
        };
        let inner = rest[open + 1..open + close].trim();
        if inner == "fn" {
            literal.push_str(&info.qualified.replace('{', "{{").replace('}', "}}"));
        } else if let Some(path) = inner.strip_prefix("arg.") {
            let root = path.split('.').next().unwrap_or_default();
            if !has_param(info, root) {
                return Err(format!(
                    "template `{template}` reads `{root}`, which is not a parameter of `{}`",
                    info.qualified
                ));
            }
            literal.push_str("{}");
            args.push(format!("({path})"));
        } else {
            return Err(format!("unknown placeholder `{{{inner}}}` in `{template}`; use {{arg.NAME}} or {{fn}}"));
        }
        rest = &rest[open + close + 1..];
    }
    literal.push_str(&rest.replace('}', "}}"));
    if args.is_empty() {
        return Ok(format!("{:?}", literal.replace("{{", "{").replace("}}", "}")));
    }
    if literal == "{}" && args.len() == 1 {
        return Ok(format!("&{prelude}::std::string::ToString::to_string(&{})", args[0]));
    }
    Ok(format!("&{prelude}::std::format!({:?}, {})", literal, args.join(", ")))
}

fn span_start(
    template: &SpanTemplate,
    var: &str,
    info: &FnInfo,
    layer: &Layer,
    prelude: &str,
) -> Result<String, String> {
    let name = template_expr(&template.name, info, prelude)?;
    let values: Vec<String> =
        template.attributes.iter().map(|(_, v)| template_expr(v, info, prelude)).collect::<Result<_, _>>()?;
    // Literal attributes (the common case: code.* of the fn) go with the start in one call,
    // as `'static` strings; a template reading arguments is formatted only when recording.
    if values.iter().all(|v| v.starts_with('"')) {
        let name_arg = if name.starts_with('"') {
            format!("{prelude}::OtelStrV1::from_static({name})")
        } else {
            format!("{prelude}::OtelStrV1::new({name})")
        };
        let attrs: Vec<String> = template
            .attributes
            .iter()
            .zip(&values)
            .map(|((key, _), value)| format!("{prelude}::Attr::lit({key:?}, {value})"))
            .collect();
        let start = format!(
            "{prelude}::Span::start_attrs_in({:?}, {name_arg}, {prelude}::{}, &[{}])",
            layer.pack,
            kind_const(template),
            attrs.join(", ")
        );
        return Ok(format!("let {var} = {}; ", scoped(&start, layer, prelude)));
    }
    let start = format!("{prelude}::Span::start_in({:?}, {name}, {prelude}::{})", layer.pack, kind_const(template));
    let mut code = format!("let {var} = {}; ", scoped(&start, layer, prelude));
    if !template.attributes.is_empty() {
        code.push_str(&format!("if {var}.is_recording() {{ "));
        for ((key, _), value) in template.attributes.iter().zip(&values) {
            code.push_str(&format!("{var}.str({key:?}, {value}); "));
        }
        code.push_str("} ");
    }
    Ok(code)
}

fn kind_const(template: &SpanTemplate) -> &'static str {
    use crate::model::SpanKind;
    match template.kind {
        SpanKind::Internal => "INTERNAL",
        SpanKind::Server => "SERVER",
        SpanKind::Client => "CLIENT",
        SpanKind::Producer => "PRODUCER",
        SpanKind::Consumer => "CONSUMER",
    }
}

/// `if false { let x: RET = loop {}; return x; }` pins an async block's output type so
/// that `?` inside it infers its error conversion, as it did in the original fn.
fn pin_output_type(info: &FnInfo) -> String {
    if !info.ret_nameable {
        return String::new();
    }
    format!(
        "#[allow(unreachable_code, clippy::diverging_sub_expression)] if false {{ let __otel_never: {} = loop {{}}; return __otel_never; }} ",
        info.ret
    )
}

fn weave_layer(info: &FnInfo, layer: &Layer, prelude: &str, n: usize) -> Result<(String, String), String> {
    let mut pro = String::new();
    let mut epi = String::new();
    let mut span: Option<&SpanTemplate> = None;
    let mut on_exit: Option<String> = None;
    let mut wrap_return: Option<String> = None;
    let mut has_enter = false;
    for advice in layer.advice {
        match advice {
            Advice::WrapArg { arg, func } => {
                if arg == "self" || !has_param(info, arg) {
                    return Err(format!(
                        "`wrap_args` names `{arg}`, which is not a plain parameter of `{}`",
                        info.qualified
                    ));
                }
                let call = format!("{}({arg})", resolve(func, layer, prelude));
                pro.push_str(&format!("let {arg} = {}; ", scoped(&call, layer, prelude)));
            }
            Advice::Code(code) => {
                let tokens: proc_macro2::TokenStream = code.parse().map_err(|e| format!("`code` does not lex: {e}"))?;
                pro.push_str(&tokens.to_string());
                pro.push(' ');
            }
            Advice::OnEnter { func, args, skip_call } => {
                for arg in args {
                    if let Some(name) = arg.trim().strip_prefix("&mut ") {
                        let name = name.trim();
                        if name != "self" && has_param(info, name) {
                            pro.push_str(&format!("#[allow(unused_mut)] let mut {name} = {name}; "));
                        }
                    }
                }
                let call = scoped(&format!("{}({})", resolve(func, layer, prelude), args.join(", ")), layer, prelude);
                if *skip_call {
                    pro.push_str(&format!(
                        "let __otel_cx{n} = match {call} {{ {prelude}::std::ops::ControlFlow::Break(__otel_r) => return __otel_r, {prelude}::std::ops::ControlFlow::Continue(__otel_c) => __otel_c }}; "
                    ));
                } else {
                    pro.push_str(&format!("let __otel_cx{n} = {call}; "));
                }
                has_enter = true;
            }
            Advice::Span(t) => span = Some(t),
            Advice::OnExit { func } => on_exit = Some(resolve(func, layer, prelude)),
            Advice::WrapReturn { func } => wrap_return = Some(resolve(func, layer, prelude)),
            Advice::WrapCallArg { .. } => {
                return Err("`wrap_call_arg` applies to call sites, not fn definitions".into());
            }
        }
    }
    let cx = if has_enter { format!("__otel_cx{n}") } else { "()".to_string() };
    if on_exit.is_some() && wrap_return.is_some() {
        return Err("`on_exit` and `wrap_return` on one rule: do the exit work in the wrap function".into());
    }
    let needs_closure = on_exit.is_some() || wrap_return.is_some();
    if info.track_caller && needs_closure {
        return Err("`#[track_caller]` fn: moving the body into a closure would change `Location::caller()`".into());
    }
    let s = format!("__otel_s{n}");
    match info.shape {
        Shape::Never | Shape::Sync => {
            if info.shape == Shape::Never && needs_closure {
                return Err("`-> !` fn never returns: `on_exit`/`wrap_return` cannot apply".into());
            }
            if let Some(t) = span {
                pro.push_str(&span_start(t, &s, info, layer, prelude)?);
                pro.push_str(&format!("let __otel_g{n} = {prelude}::SpanGuard::new({s}); "));
            }
            if let Some(exit) = on_exit {
                pro.push_str(&format!("{prelude}::call({cx}, {exit}, move || {{ "));
                epi = " })".to_string();
            } else if let Some(wrap) = wrap_return {
                let cx_arg = if has_enter { format!("{cx}, ") } else { String::new() };
                pro.push_str(&format!("{wrap}({cx_arg}{prelude}::run(move || {{ "));
                epi = " }))".to_string();
            }
        }
        Shape::Async => {
            if let Some(wrap) = wrap_return {
                // The body as a future, handed to `wrap` (which returns a future of the same
                // output, e.g. one that marks each of its polls) and awaited.
                if span.is_some() {
                    return Err("`span` with `wrap_return`: start the span in the wrap function".into());
                }
                let cx_arg = if has_enter { format!("{cx}, ") } else { String::new() };
                pro.push_str(&format!("{wrap}({cx_arg}async move {{ {}", pin_output_type(info)));
                epi = " }).await".to_string();
            } else if span.is_some() || on_exit.is_some() {
                let span_var = match span {
                    Some(t) => {
                        pro.push_str(&span_start(t, &s, info, layer, prelude)?);
                        s.clone()
                    }
                    None => format!("{prelude}::Span::none()"),
                };
                match on_exit {
                    Some(exit) => {
                        pro.push_str(&format!(
                            "{prelude}::instrument_with({span_var}, async move {{ {}",
                            pin_output_type(info)
                        ));
                        epi = format!(" }}, move |_, __otel_out| {exit}({cx}, __otel_out)).await");
                    }
                    None => {
                        pro.push_str(&format!(
                            "{prelude}::instrument({span_var}, async move {{ {}",
                            pin_output_type(info)
                        ));
                        epi = " }).await".to_string();
                    }
                }
            }
        }
        Shape::FutureReturn { rebox } => {
            let rebox_open = format!("{prelude}::std::boxed::Box::pin(");
            let (rebox_open, rebox_close) = if rebox { (rebox_open.as_str(), ")") } else { ("", "") };
            if let Some(wrap) = wrap_return {
                if span.is_some() {
                    return Err("`span` with `wrap_return`: start the span in the wrap function".into());
                }
                let cx_arg = if has_enter { format!("{cx}, ") } else { String::new() };
                pro.push_str(&format!("{rebox_open}{wrap}({cx_arg}{prelude}::run(move || {{ "));
                epi = format!(" }})){rebox_close}");
            } else if span.is_some() || on_exit.is_some() {
                let span_var = match span {
                    Some(t) => {
                        pro.push_str(&span_start(t, &s, info, layer, prelude)?);
                        s.clone()
                    }
                    None => {
                        pro.push_str(&format!("let {s} = {prelude}::Span::none(); "));
                        s.clone()
                    }
                };
                // The span is current while the fn builds its future, so work done before
                // the first poll (a client injecting headers) sees it as the parent.
                pro.push_str(&format!(
                    "let __otel_e{n} = {span_var}.enter(); let __otel_f{n} = {prelude}::run(move || {{ "
                ));
                let wrapped = match on_exit {
                    Some(exit) => format!(
                        "{prelude}::instrument_with({span_var}, __otel_f{n}, move |_, __otel_out| {exit}({cx}, __otel_out))"
                    ),
                    None => format!("{prelude}::instrument({span_var}, __otel_f{n})"),
                };
                epi = format!(" }}); {prelude}::std::mem::drop(__otel_e{n}); {rebox_open}{wrapped}{rebox_close}");
            }
        }
    }
    Ok((pro, epi))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::SpanKind;

    fn info<'a>(params: &'a [Option<String>], shape: Shape) -> FnInfo<'a> {
        FnInfo { shape, params, ret: "u8", ret_nameable: true, track_caller: false, is_const: false, qualified: "m::f" }
    }

    #[test]
    fn templates_expand_args_and_fn() {
        let params = [Some("req".to_string())];
        let i = info(&params, Shape::Sync);
        assert_eq!(template_expr("static", &i, "P").as_deref(), Ok("\"static\""));
        assert_eq!(template_expr("{fn}", &i, "P").as_deref(), Ok("\"m::f\""));
        assert_eq!(
            template_expr("{arg.req.method}", &i, "P").as_deref(),
            Ok("&P::std::string::ToString::to_string(&(req.method))")
        );
        assert_eq!(template_expr("GET {arg.req}", &i, "P").as_deref(), Ok("&P::std::format!(\"GET {}\", (req))"));
        assert!(template_expr("{arg.nope}", &i, "P").unwrap_err().contains("not a parameter"));
        assert!(template_expr("{what}", &i, "P").unwrap_err().contains("unknown placeholder"));
    }

    #[test]
    fn wrap_return_on_an_async_fn_wraps_its_body_future() {
        let params = [];
        let i = info(&params, Shape::Async);
        let advice = [
            Advice::OnEnter { func: "enter".into(), args: vec!["&self".into()], skip_call: false },
            Advice::WrapReturn { func: "traced".into() },
        ];
        let layer = Layer { pack: "p", advice_module: "crate::a", advice: &advice };
        let (pro, epi) = weave_layer(&i, &layer, "crate::__otel", 0).expect("woven");
        assert!(
            pro.starts_with(
                "let __otel_cx0 = { let _otel_scope = crate::__otel::ScopeGuard::enter(&crate::a::__OTEL_SCOPE); crate::a::enter(&self) }; crate::a::traced(__otel_cx0, async move { "
            ),
            "{pro}"
        );
        assert!(pro.contains("let __otel_never: u8"), "the body's output type is pinned: {pro}");
        assert_eq!(epi, " }).await");
        let span = [Advice::Span(SpanTemplate { name: "x".into(), kind: SpanKind::Internal, attributes: vec![] })];
        let both = [span[0].clone(), Advice::WrapReturn { func: "traced".into() }];
        let layer = Layer { pack: "p", advice_module: "crate::a", advice: &both };
        assert!(weave_layer(&i, &layer, "crate::__otel", 0).unwrap_err().contains("start the span in the wrap"));
    }

    #[test]
    fn const_fn_is_refused() {
        let params = [];
        let mut i = info(&params, Shape::Sync);
        i.is_const = true;
        let span = [Advice::Span(SpanTemplate { name: "x".into(), kind: SpanKind::Internal, attributes: vec![] })];
        let layer = Layer { pack: "p", advice_module: "crate::a", advice: &span };
        assert!(weave_fn(&i, &[layer], "crate::__otel", false).unwrap_err().contains("const fn"));
    }
}
