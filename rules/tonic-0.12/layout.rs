// tonic 0.12: responses carry `tonic::body::BoxBody` (http-body-util's `UnsyncBoxBody`).

type ResponseBody = crate::body::BoxBody;

fn boxed<B>(body: B) -> ResponseBody
where
    B: ::http_body::Body<Data = ::bytes::Bytes, Error = crate::Status> + Send + 'static,
{
    crate::body::BoxBody::new(body)
}
