// tonic 0.13 – 0.14: responses carry `tonic::body::Body`.

type ResponseBody = crate::body::Body;

fn boxed<B>(body: B) -> ResponseBody
where
    B: ::http_body::Body<Data = ::bytes::Bytes> + Send + 'static,
    B::Error: Into<crate::BoxError>,
{
    crate::body::Body::new(body)
}
