// Advice for warp 0.3 and 0.4, spliced as `mod __otel_advice_warp` at warp's crate root. Uses
// warp's crate-private `route::Route` accessors and its `http` dependency (0.2 or 1: only
// `Request::extensions_mut`, `uri`, which both have).

use std::cell::{Cell, RefCell};
use std::sync::{Arc, Mutex};

use crate::route::Route;

/// One consumed path segment: where it starts in the path, where the path continues, and
/// what it contributes to the template.
struct Segment {
    start: usize,
    end: usize,
    piece: Box<str>,
}

/// The template of one request, kept in its extensions.
#[derive(Clone)]
struct Template(Arc<Mutex<Vec<Segment>>>);

thread_local! {
    /// The template of the request whose filters run now on this thread.
    static CURRENT: RefCell<Option<Template>> = RefCell::new(None);
    /// Set while `Exact::filter` (a literal segment) runs.
    static LITERAL: Cell<bool> = Cell::new(false);
    /// Set while `with_segment` (a literal or a parameter) runs.
    static SEGMENT: Cell<bool> = Cell::new(false);
}

/// Makes a template current until dropped (puts the previous one back).
pub struct Current(Option<Option<Template>>);

impl Drop for Current {
    fn drop(&mut self) {
        if let Some(previous) = self.0.take() {
            let _ours = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), previous));
        }
    }
}

fn make_current(template: Option<Template>) -> Current {
    match template {
        Some(t) => Current(Some(CURRENT.with(|c| c.borrow_mut().replace(t)))),
        None => Current(None),
    }
}

/// OnEnter of `FilteredService::call*`: a template for the request (once: `call` goes through
/// `call_with_addr`/`call_route`), current while the filter future is built.
pub fn call_enter<B>(req: &mut ::http::Request<B>) -> Current {
    if !__otel::enabled("warp") {
        return Current(None);
    }
    let template = match req.extensions().get::<Template>() {
        Some(t) => t.clone(),
        None => {
            let t = Template(Arc::new(Mutex::new(Vec::new())));
            req.extensions_mut().insert(t.clone());
            t
        }
    };
    make_current(Some(template))
}

/// What `poll_enter` hands to `poll_exit`: the template current for the poll, and the
/// request's path (to tell a full match).
pub struct Polling {
    _current: Current,
    template: Option<(Template, Box<str>)>,
}

/// OnEnter of `FilteredFuture::poll`.
pub fn poll_enter(route: &RefCell<Route>) -> Polling {
    let found = match route.try_borrow() {
        Ok(route) => route.extensions().get::<Template>().map(|t| (t.clone(), Box::<str>::from(route.full_path()))),
        Err(_) => None,
    };
    Polling { _current: make_current(found.as_ref().map(|(t, _)| t.clone())), template: found }
}

/// OnExit of `FilteredFuture::poll`: when the response is ready, report the template to the
/// server call current here (hyper's SERVER span).
pub fn poll_exit<T>(poll: Polling, out: &std::task::Poll<T>) {
    if out.is_pending() {
        return;
    }
    let Some((template, path)) = &poll.template else { return };
    let segments = match template.0.lock() {
        Ok(s) => s,
        Err(_) => return,
    };
    if let Some(route) = render(&segments, path) {
        __otel::http_server_route(&route);
    }
}

/// The template, when the segments cover the whole path (or end with a tail).
fn render(segments: &[Segment], path: &str) -> Option<String> {
    // A trailing slash is consumed with the last segment (`/users/7/` matches `users / u32`).
    let whole = path.trim_end_matches('/').len();
    let covered = match segments.last() {
        Some(last) => last.piece.as_ref() == "{*tail}" || last.end >= whole,
        None => whole == 0,
    };
    if !covered {
        return None;
    }
    let mut route = String::new();
    for s in segments {
        route.push('/');
        route.push_str(&s.piece);
    }
    if route.is_empty() {
        route.push('/');
    }
    Some(route)
}

/// Resets a flag when dropped.
pub struct Flag(&'static std::thread::LocalKey<Cell<bool>>, bool);

impl Drop for Flag {
    fn drop(&mut self) {
        let previous = self.1;
        self.0.with(|f| f.set(previous));
    }
}

fn raise(flag: &'static std::thread::LocalKey<Cell<bool>>) -> Flag {
    Flag(flag, flag.with(|f| f.replace(true)))
}

/// OnEnter of `Exact::filter`.
pub fn literal() -> Flag {
    raise(&LITERAL)
}

/// OnEnter of `with_segment`.
pub fn segment() -> Flag {
    raise(&SEGMENT)
}

/// OnEnter of `Route::set_unmatched_path(index)`: the next `index` bytes of the unmatched
/// path are consumed (one segment, or the whole rest for a tail).
pub fn consumed(route: &Route, index: usize) {
    CURRENT.with(|c| {
        let current = c.borrow();
        let Some(template) = current.as_ref() else { return };
        let Some(text) = route.path().get(..index) else { return };
        let start = route.matched_path_index();
        let piece: Box<str> = if LITERAL.with(Cell::get) {
            text.into()
        } else if SEGMENT.with(Cell::get) {
            "{param}".into()
        } else {
            "{*tail}".into()
        };
        if let Ok(mut segments) = template.0.lock() {
            segments.retain(|s| s.start < start);
            segments.push(Segment { start, end: start + index, piece });
        };
    });
}

/// OnEnter of `Route::reset_matched_path_index(index)`: a rejected branch gives back the path
/// from `index` on.
pub fn rewound(index: usize) {
    CURRENT.with(|c| {
        if let Some(template) = c.borrow().as_ref() {
            if let Ok(mut segments) = template.0.lock() {
                segments.retain(|s| s.start < index);
            };
        }
    });
}
