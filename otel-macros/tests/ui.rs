//! trybuild: the attribute compiles (and the code keeps its meaning) on every fn shape it
//! accepts, and rejects the ones it cannot instrument with a clear error.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
