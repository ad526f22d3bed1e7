// Advice for actix-web 4.x, spliced as `mod __otel_advice_actix_web` at actix-web's crate
// root. Uses actix-web's public `ServiceRequest` only.

/// OnEnter of `ResourceService::call`: the request was routed to this resource; its pattern
/// (scope prefixes included) is the route of the SERVER span current now.
pub fn resource_call(req: &crate::dev::ServiceRequest) {
    // No current context: no server span to name (and no pattern to build).
    if !__otel::enabled("actix-web") || __otel::Context::current().is_empty() {
        return;
    }
    if let Some(route) = req.match_pattern() {
        __otel::http_server_route(&route);
    }
}
