// Expands the ABI list in `abi.rs` into the extern block of a woven crate's prelude.
macro_rules! otel_abi_v1 {
    ($( $(#[$meta:meta])* fn $name:ident($($arg:ident : $ty:ty),* $(,)?) $(-> $ret:ty)?; )*) => {
        unsafe extern "C" {
            $( $(#[$meta])* pub fn $name($($arg: $ty),*) $(-> $ret)?; )*
        }
    };
}
