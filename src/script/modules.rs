//! `import` in an app's scripts. `import "lib/util" as u;` names the file
//! `scripts/lib/util.rhai` of the app's [`Source`] (a folder or a packaged payload), and nothing
//! else: no `..`, no absolute path, no backslash, no empty segment, and no symlink that leaves
//! `scripts/` (it is read through `scripts/` as a source of its own, which refuses those).
//!
//! **When.** Every module a script imports (directly or through other modules, wherever the
//! `import` is written) is read and compiled with the script, before any call runs it; a path
//! that is not a string constant, a missing or escaping file, a module that does not compile, a
//! cycle, more than [`MAX_DEPTH`] levels or more than [`MAX_MODULES`] files fail that compile.
//! The compiled modules travel with the script's AST ([`runnable`]): a call runs the modules the
//! version it started with was compiled with, even if a newer version is compiled meanwhile.
//!
//! **What runs.** A script's own top level never runs (an endpoint calls one of its functions)
//! except its top-level `import`s, which run at the start of every call. A module's top level
//! runs each time an `import` of it runs: inside that call, under its budget and with its
//! endpoint's grants, so a module can compute `export const`s or read the endpoint's files. Its
//! `export`ed variables and its functions (not `private` ones) are what the importer sees. Rhai
//! counts every import a call runs against [`MAX_IMPORTS_PER_CALL`].
//!
//! Rhai's `Engine::compile_into_self_contained` was not used: it resolves a module by running its
//! top level once, at compile time, outside any call (no budget, no grants, one shared result).

use std::collections::BTreeMap;
use std::sync::Arc;

use rhai::{
    AST, ASTNode, Dynamic, Engine, EvalAltResult, Expr, GlobalRuntimeState, Module, ModuleResolver,
    ParseError, Position, Scope, Shared, Stmt,
};

use super::api::HostError;
use crate::ipc::IpcError;
use crate::source::{ReadError, Source};

/// The folder of the app that imports resolve in.
pub const FOLDER: &str = "scripts";

/// How deep imports may nest (a script importing a module is one level).
pub const MAX_DEPTH: usize = 16;

/// How many distinct module files one script may import, directly or not.
pub const MAX_MODULES: usize = 64;

/// How many imports one call may run (rhai's `max_modules`): an `import` inside a function runs
/// each time the function does.
pub const MAX_IMPORTS_PER_CALL: usize = 256;

/// The variable of a script's function library that holds its compiled modules. No script can
/// name it (it has a space), and rhai never looks up variables there: only [`Imports`] reads it.
const CARRIER: &str = "apphost modules";

/// The file `import "path"` names, relative to the app: `lib/util` is `scripts/lib/util.rhai`.
/// The error says why the path is refused.
pub fn file_of(path: &str) -> Result<String, String> {
    let why = if path.is_empty() {
        Some("is empty")
    } else if path.starts_with('/') {
        Some("is absolute")
    } else if path.contains('\\') {
        Some("has a backslash")
    } else if path.split('/').any(str::is_empty) {
        Some("has an empty segment")
    } else if path.split('/').any(|s| s == "..") {
        Some("has `..`")
    } else if path.split('/').any(|s| s == ".") {
        Some("has `.`")
    } else if path.ends_with(".rhai") {
        return Err(format!(
            "import path `{path}` ends in `.rhai`: write `{}`",
            path.trim_end_matches(".rhai")
        ));
    } else if path.chars().any(char::is_control) {
        Some("has a control character")
    } else {
        None
    };
    match why {
        Some(why) => Err(format!(
            "import path `{path}` {why}; an import names a file inside `{FOLDER}/` without `.rhai` (`lib/util` is {FOLDER}/lib/util.rhai)"
        )),
        None => Ok(format!("{FOLDER}/{path}.rhai")),
    }
}

/// One `import` in a script: the path as written and where the path is.
#[derive(Debug, Clone)]
pub struct Import {
    pub path: String,
    pub pos: Position,
}

/// Every `import` in `ast` (top level and function bodies), each path once, in the order
/// written. A path that is not a string constant is an error at its position.
pub fn imports(ast: &AST) -> Result<Vec<Import>, (String, Position)> {
    let mut found: Vec<Import> = Vec::new();
    let mut bad = None;
    ast.walk(&mut |nodes: &[ASTNode]| {
        let Some(ASTNode::Stmt(Stmt::Import(x, pos))) = nodes.last() else {
            return true;
        };
        match &x.0 {
            Expr::StringConstant(path, at) => {
                if !found.iter().any(|i| i.path == path.as_str()) {
                    found.push(Import {
                        path: path.to_string(),
                        pos: if at.is_none() { *pos } else { *at },
                    });
                }
                true
            }
            other => {
                let at = other.start_position();
                bad = Some((
                    "an import path must be a string constant (`import \"lib/util\" as util;`): modules are compiled with the script, before it runs".to_owned(),
                    if at.is_none() { *pos } else { at },
                ));
                false
            }
        }
    });
    match bad {
        Some(e) => Err(e),
        None => Ok(found),
    }
}

/// A module a script imports, compiled.
pub struct Loaded {
    /// The file, relative to the app (`scripts/lib/util.rhai`).
    pub file: String,
    pub text: String,
    pub ast: Arc<AST>,
}

/// Why a script's modules could not be loaded.
#[derive(Debug)]
pub enum LoadError {
    /// A module does not compile.
    Parse {
        file: String,
        text: String,
        error: ParseError,
    },
    /// An `import` cannot be followed (refused path, missing file, cycle, too deep, too many):
    /// said at the `import`, in the file that has it.
    Import {
        file: String,
        text: String,
        pos: Position,
        message: String,
    },
}

impl LoadError {
    /// The file the problem is in, relative to the app.
    pub fn file(&self) -> &str {
        match self {
            LoadError::Parse { file, .. } | LoadError::Import { file, .. } => file,
        }
    }
}

/// What loading a script's modules found.
pub struct Modules {
    /// By import path (`lib/util`).
    pub modules: BTreeMap<String, Loaded>,
    /// Every module file looked at (found or not), relative to the app, with its stamp from
    /// before it was read: an edit to any of them makes the script's compiled form stale.
    pub files: Vec<(String, Option<String>)>,
    pub error: Option<LoadError>,
}

/// Reads and compiles, with `engine`, every module the script `file` (its `text`, compiled as
/// `ast`) imports, from `source`. Modules larger than `max_bytes` are refused.
pub fn load(
    engine: &Engine,
    source: &dyn Source,
    max_bytes: u64,
    file: &str,
    text: &str,
    ast: &AST,
) -> Modules {
    let mut loader = Loader {
        engine,
        source,
        folder: None,
        max_bytes,
        out: Modules {
            modules: BTreeMap::new(),
            files: Vec::new(),
            error: None,
        },
    };
    let mut chain = vec![file.to_owned()];
    if let Err(e) = loader.visit(file, text, ast, &mut chain) {
        loader.out.error = Some(e);
    }
    loader.out
}

struct Loader<'a> {
    engine: &'a Engine,
    source: &'a dyn Source,
    /// `scripts/` as a source of its own, opened at the first import.
    folder: Option<Result<Arc<dyn Source>, String>>,
    max_bytes: u64,
    out: Modules,
}

impl Loader<'_> {
    /// Loads the imports of `file` (`text`, compiled as `ast`), which `chain` led to (it is its
    /// last element).
    fn visit(
        &mut self,
        file: &str,
        text: &str,
        ast: &AST,
        chain: &mut Vec<String>,
    ) -> Result<(), LoadError> {
        let at = |pos: Position, message: String| LoadError::Import {
            file: file.to_owned(),
            text: text.to_owned(),
            pos,
            message,
        };
        let imports = imports(ast).map_err(|(message, pos)| at(pos, message))?;
        for import in imports {
            let target = file_of(&import.path).map_err(|m| at(import.pos, m))?;
            if let Some(i) = chain.iter().position(|f| *f == target) {
                let cycle: Vec<&str> = chain[i..]
                    .iter()
                    .map(String::as_str)
                    .chain([target.as_str()])
                    .collect();
                return Err(at(
                    import.pos,
                    format!("import cycle: {}", cycle.join(" → ")),
                ));
            }
            if self.out.modules.contains_key(&import.path) {
                continue;
            }
            if chain.len() > MAX_DEPTH {
                return Err(at(
                    import.pos,
                    format!(
                        "imports nested deeper than {MAX_DEPTH} levels: {} → {target}",
                        chain.join(" → ")
                    ),
                ));
            }
            if self.out.modules.len() >= MAX_MODULES {
                return Err(at(
                    import.pos,
                    format!("more than {MAX_MODULES} modules imported by {}", chain[0]),
                ));
            }
            self.out
                .files
                .push((target.clone(), self.source.stamp(&target)));
            let module_text = self.read(&import.path).map_err(|why| {
                at(
                    import.pos,
                    format!("import `{}`: {target} {why}", import.path),
                )
            })?;
            let mut module_ast =
                self.engine
                    .compile(&module_text)
                    .map_err(|error| LoadError::Parse {
                        file: target.clone(),
                        text: module_text.clone(),
                        error,
                    })?;
            module_ast.set_source(target.as_str());
            chain.push(target.clone());
            let nested = self.visit(&target, &module_text, &module_ast, chain);
            chain.pop();
            nested?;
            self.out.modules.insert(
                import.path,
                Loaded {
                    file: target,
                    text: module_text,
                    ast: Arc::new(module_ast),
                },
            );
        }
        Ok(())
    }

    /// The text of module `path` (without `.rhai`), read inside `scripts/`; the error ends a
    /// sentence that names the file.
    fn read(&mut self, path: &str) -> Result<String, String> {
        let source = self.source;
        let folder = self.folder.get_or_insert_with(|| {
            source.sub(FOLDER).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => "does not exist".to_owned(),
                _ => format!("cannot be read: {e}"),
            })
        });
        let folder = folder.as_ref().map_err(Clone::clone)?;
        match folder.read(&format!("{path}.rhai"), self.max_bytes) {
            Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(ReadError::Outside) => Err(format!(
                "resolves outside `{FOLDER}/` (a symlink?): imports stay inside it"
            )),
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The compiled modules of one script, shared by the calls that run it.
#[derive(Clone)]
struct Carried(Arc<BTreeMap<String, Arc<AST>>>);

/// What a call runs of script `ast`, compiled as `file` with `modules`: its functions, and of
/// its top level only the `import`s (run at the start of each call; everything else at the top
/// level never runs). The modules travel in the AST's function library, where [`Imports`]
/// finds them.
pub fn runnable(file: &str, ast: &AST, modules: BTreeMap<String, Arc<AST>>) -> AST {
    let imports: Vec<Stmt> = ast
        .statements()
        .iter()
        .filter(|s| matches!(s, Stmt::Import(..)))
        .cloned()
        .collect();
    let mut lib = (**ast.shared_lib()).clone();
    if !modules.is_empty() {
        lib.set_var(CARRIER, Carried(Arc::new(modules)));
    }
    let mut out = AST::new(imports, lib);
    out.set_source(file);
    out
}

/// The engine's module resolver: an `import` that runs finds its module among those compiled
/// with the script the call runs (never on disk), and runs the module's top level there, in
/// the call.
pub struct Imports;

impl Imports {
    /// Makes `engine` resolve imports this way, at most [`MAX_IMPORTS_PER_CALL`] per call.
    pub fn install(engine: &mut Engine) {
        engine
            .set_module_resolver(Imports)
            .set_max_modules(MAX_IMPORTS_PER_CALL);
    }
}

impl ModuleResolver for Imports {
    /// Without the call's state there is nothing to resolve against.
    fn resolve(
        &self,
        _engine: &Engine,
        _source: Option<&str>,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        Err(EvalAltResult::ErrorModuleNotFound(path.to_owned(), pos).into())
    }

    fn resolve_raw(
        &self,
        engine: &Engine,
        global: &mut GlobalRuntimeState,
        _scope: &mut Scope,
        path: &str,
        pos: Position,
    ) -> Result<Shared<Module>, Box<EvalAltResult>> {
        // The script's library is on the stack whatever runs the import: the script's top
        // level, one of its functions, or a module's top level or function.
        let ast = global
            .lib
            .iter()
            .rev()
            .find_map(|lib| lib.get_var_value::<Carried>(CARRIER))
            .and_then(|carried| carried.0.get(path).cloned())
            .ok_or_else(|| EvalAltResult::ErrorModuleNotFound(path.to_owned(), pos))?;
        // A module's top level sees none of the importer's variables.
        let module = Module::eval_ast_as_new_raw(engine, &mut Scope::new(), global, &ast)
            .map_err(|e| in_module(ast.source().unwrap_or(path), e))?;
        Ok(module.into())
    }
}

/// An error of module `file`'s top level as the call reports it. Limits and the host API's
/// refusals pass through as they are (they carry their own code); anything else becomes a
/// `handler_error` at the `file:line:col` where it happened, which the importer's position
/// would not tell.
fn in_module(file: &str, e: Box<EvalAltResult>) -> Box<EvalAltResult> {
    let mut inner: &EvalAltResult = &e;
    while let EvalAltResult::ErrorInFunctionCall(_, _, next, _) = inner {
        inner = next;
    }
    let passes = inner.is_system_exception()
        || matches!(inner, EvalAltResult::ErrorRuntime(v, _) if v.is::<HostError>());
    if passes {
        return e;
    }
    // The innermost error happened; the wrappers say which call it was in, and in which file
    // (rhai names a module function's file there).
    let (mut inner, mut file) = (*e, file.to_owned());
    while let EvalAltResult::ErrorInFunctionCall(_, source, next, _) = inner {
        if !source.is_empty() {
            file = source;
        }
        inner = *next;
    }
    let here = super::error::at(&file, inner.take_position());
    let what = match inner {
        EvalAltResult::ErrorRuntime(v, _) => format!("the script threw {v}"),
        other => other.to_string(),
    };
    let error = IpcError::Handler(format!("{here}: {what}"));
    EvalAltResult::ErrorRuntime(Dynamic::from(HostError(error)), Position::NONE).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_paths() {
        for (path, want) in [
            ("util", Ok("scripts/util.rhai")),
            ("lib/util", Ok("scripts/lib/util.rhai")),
            ("lib/util-2_x", Ok("scripts/lib/util-2_x.rhai")),
            ("", Err("is empty")),
            ("../secret", Err("has `..`")),
            ("lib/../../x", Err("has `..`")),
            ("./util", Err("has `.`")),
            ("/etc/passwd", Err("is absolute")),
            ("lib\\util", Err("has a backslash")),
            ("lib//util", Err("has an empty segment")),
            ("lib/", Err("has an empty segment")),
            ("lib/util.rhai", Err("write `lib/util`")),
            ("a\u{0}b", Err("control character")),
        ] {
            match (file_of(path), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{path}"),
                (Err(got), Err(want)) => assert!(got.contains(want), "{path}: {got}"),
                (got, want) => panic!("{path}: {got:?}, expected {want:?}"),
            }
        }
    }

    #[test]
    fn imports_are_found_everywhere_and_must_be_constant() {
        let engine = Engine::new_raw();
        let ast = engine
            .compile("import \"a\" as a;\nfn f() { import \"b\" as b; import \"a\" as c; }\n")
            .unwrap();
        let found: Vec<String> = imports(&ast).unwrap().into_iter().map(|i| i.path).collect();
        assert_eq!(found, ["a", "b"]);
        let ast = engine
            .compile("fn f(x) {\n    import x as m;\n}\n")
            .unwrap();
        let (message, pos) = imports(&ast).unwrap_err();
        assert!(message.contains("string constant"), "{message}");
        assert_eq!((pos.line(), pos.position()), (Some(2), Some(12)));
    }
}
