use matdiff::engine::{derive, Lhs, Options};
use matdiff::render::text::{show, Style};
use matdiff::*;

fn v(n: &str) -> Term { Term::var(n) }
fn b(t: Term) -> Box<Term> { Box::new(t) }
fn d(s: &str) -> Dim { Dim::Sym(s.into()) }
fn m(r: Dim, c: Dim) -> VarInfo { VarInfo { kind: Kind::Matrix, shape: Shape::new(r, c), symmetric: false } }

fn print(p: &Problem) {
    let der = match derive(p, &Options::default()) { Ok(d) => d, Err(e) => { println!("ERROR {e}"); return; } };
    let s = Style::default();
    for st in der.preamble.iter().chain(der.gradients.iter().flat_map(|g| g.steps.iter())) {
        let lhs = match &st.lhs { Lhs::Differential(f) => format!("d{f} ="), Lhs::Same => "   =".into(), Lhs::Gradient(f, v) => format!("∂{f}/∂{v} =") };
        println!("{lhs} {:50} {}", show(&st.expr, s), st.rule);
    }
    for g in &der.gradients { println!("RESULT ∂/∂{} = {}", g.wrt, show(&g.result, s)); }
    for st in &der.stats { println!("  {:?}", st); }
}

#[test]
fn scratch() {
    let mut env = Env::default();
    env.vars.insert("X".into(), m(d("n"), d("p")));
    env.vars.insert("W".into(), m(d("p"), d("m")));
    env.vars.insert("B".into(), m(d("n"), d("m")));
    env.vars.insert("A".into(), m(d("p"), d("p")));
    let p = Problem { source: "L(XW+B)".into(), term: Term::Unknown("L".into(), b(Term::Add(vec![Term::Mul(vec![v("X"), v("W")]), v("B")]))), env: env.clone(), shape: Shape::scalar() };
    print(&p);
    let mut env2 = Env::default();
    env2.vars.insert("X".into(), m(d("n"), d("m")));
    env2.vars.insert("A".into(), m(d("n"), d("n")));
    let p = Problem { source: "tr(XtAX)".into(), term: Term::Apply(Func::Tr, b(Term::Mul(vec![Term::Transpose(b(v("X"))), v("A"), v("X")]))), env: env2.clone(), shape: Shape::scalar() };
    print(&p);
    let p = Problem { source: "logdet".into(), term: Term::Apply(Func::Logdet, b(v("A"))), env: env2.clone(), shape: Shape::scalar() };
    print(&p);
    let p = Problem { source: "det".into(), term: Term::Apply(Func::Det, b(v("A"))), env: env2.clone(), shape: Shape::scalar() };
    print(&p);
    let p = Problem { source: "sig".into(), term: Term::Unknown("L".into(), b(Term::Apply(Func::Sigmoid, b(Term::Add(vec![Term::Mul(vec![v("X"), v("W")]), v("B")]))))), env: env.clone(), shape: Shape::scalar() };
    print(&p);
}
