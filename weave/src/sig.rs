//! Signature facts: what a fn's signature tells the weaver (its [`Shape`], parameter names,
//! return type), read with syn. Collection records them per site; code generation and
//! otel-macros consume them.

use syn::visit::Visit;

/// How a function's body must be wrapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// An ordinary fn: guard prologue, or the body as a closure.
    Sync,
    /// `async fn`: the body becomes an instrumented `async move` block.
    Async,
    /// Returns `impl Future` (`rebox: false`) or `Pin<Box<dyn Future>>` (`rebox: true`):
    /// the returned future is wrapped.
    FutureReturn { rebox: bool },
    /// `-> !`: guard prologue only.
    Never,
}

/// What a signature tells code generation, extracted with syn (shared with otel-macros).
pub struct SigFacts {
    pub shape: Shape,
    pub params: Vec<Option<String>>,
    pub ret: String,
    pub ret_nameable: bool,
}

impl SigFacts {
    pub fn of(sig: &syn::Signature) -> SigFacts {
        use quote::ToTokens;
        let params = sig
            .inputs
            .iter()
            .map(|arg| match arg {
                syn::FnArg::Receiver(_) => Some("self".to_string()),
                syn::FnArg::Typed(t) => match &*t.pat {
                    syn::Pat::Ident(i) if i.subpat.is_none() => {
                        let name = i.ident.to_string();
                        Some(name.strip_prefix("r#").map(str::to_string).unwrap_or(name))
                    }
                    _ => None,
                },
            })
            .collect();
        let (ret, ret_nameable) = match &sig.output {
            syn::ReturnType::Default => ("()".to_string(), true),
            syn::ReturnType::Type(_, ty) => (ty.to_token_stream().to_string(), !has_impl_trait(ty)),
        };
        SigFacts { shape: classify(sig), params, ret, ret_nameable }
    }
}

fn mentions_future(bounds: &syn::punctuated::Punctuated<syn::TypeParamBound, syn::Token![+]>) -> bool {
    bounds.iter().any(|b| match b {
        syn::TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Future"),
        _ => false,
    })
}

pub fn classify(sig: &syn::Signature) -> Shape {
    if sig.asyncness.is_some() {
        return Shape::Async;
    }
    let syn::ReturnType::Type(_, ty) = &sig.output else {
        return Shape::Sync;
    };
    match &**ty {
        syn::Type::Never(_) => Shape::Never,
        syn::Type::ImplTrait(i) if mentions_future(&i.bounds) => Shape::FutureReturn { rebox: false },
        syn::Type::Path(p) => {
            let Some(last) = p.path.segments.last() else {
                return Shape::Sync;
            };
            if last.ident == "BoxFuture" || last.ident == "LocalBoxFuture" {
                return Shape::FutureReturn { rebox: true };
            }
            if last.ident == "Pin" && is_boxed_dyn_future(&last.arguments) {
                return Shape::FutureReturn { rebox: true };
            }
            Shape::Sync
        }
        _ => Shape::Sync,
    }
}

fn is_boxed_dyn_future(args: &syn::PathArguments) -> bool {
    let syn::PathArguments::AngleBracketed(a) = args else {
        return false;
    };
    a.args.iter().any(|arg| match arg {
        syn::GenericArgument::Type(syn::Type::Path(p)) => p.path.segments.last().is_some_and(|s| {
            s.ident == "Box"
                && matches!(&s.arguments, syn::PathArguments::AngleBracketed(b) if b.args.iter().any(|x| matches!(x, syn::GenericArgument::Type(syn::Type::TraitObject(t)) if mentions_future(&t.bounds))))
        }),
        _ => false,
    })
}

fn has_impl_trait(ty: &syn::Type) -> bool {
    struct Finder(bool);
    impl<'ast> Visit<'ast> for Finder {
        fn visit_type_impl_trait(&mut self, _: &'ast syn::TypeImplTrait) {
            self.0 = true;
        }
    }
    let mut f = Finder(false);
    f.visit_type(ty);
    f.0
}
