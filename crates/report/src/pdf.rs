//! The report as PDF, typeset in-process by Typst: the template (`report.typ`) reads the
//! report model as JSON and the charts as SVG from memory. Fonts are Typst's own embedded
//! ones (`typst-assets`); nothing is read from disk and nothing from the network.

use std::collections::HashMap;
use std::sync::OnceLock;

use typst::diag::{FileError, FileResult, SourceDiagnostic};
use typst::foundations::{Bytes, Datetime};
use typst::layout::PagedDocument;
use typst::syntax::{FileId, Source, VirtualPath};
use typst::text::{Font, FontBook};
use typst::utils::LazyHash;
use typst::{Library, LibraryExt as _, World};

use charter_app::report::MonthlyReport;

use crate::svg::bar_chart;

const TEMPLATE: &str = include_str!("report.typ");

/// Why a PDF could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    /// The model could not be serialised (it always can; kept so nothing panics).
    #[error("cannot serialise the report: {0}")]
    Json(#[from] serde_json::Error),
    /// Typst refused the template or the data.
    #[error("typesetting failed: {0}")]
    Typeset(String),
}

/// The embedded fonts, loaded once per process.
struct Fonts {
    book: LazyHash<FontBook>,
    fonts: Vec<Font>,
}

fn fonts() -> &'static Fonts {
    static FONTS: OnceLock<Fonts> = OnceLock::new();
    FONTS.get_or_init(|| {
        let fonts: Vec<Font> = typst_assets::fonts()
            .flat_map(|data| Font::iter(Bytes::new(data)))
            .collect();
        Fonts {
            book: LazyHash::new(FontBook::from_fonts(&fonts)),
            fonts,
        }
    })
}

/// Typst's view of the world: the template, the files it may read, the fonts.
struct ReportWorld {
    library: LazyHash<Library>,
    main: Source,
    files: HashMap<FileId, Bytes>,
    today: Option<Datetime>,
}

fn id(path: &str) -> FileId {
    FileId::new(None, VirtualPath::new(path))
}

impl World for ReportWorld {
    fn library(&self) -> &LazyHash<Library> {
        &self.library
    }

    fn book(&self) -> &LazyHash<FontBook> {
        &fonts().book
    }

    fn main(&self) -> FileId {
        self.main.id()
    }

    fn source(&self, id: FileId) -> FileResult<Source> {
        if id == self.main.id() {
            Ok(self.main.clone())
        } else {
            Err(FileError::NotFound(id.vpath().as_rootless_path().into()))
        }
    }

    fn file(&self, id: FileId) -> FileResult<Bytes> {
        self.files
            .get(&id)
            .cloned()
            .ok_or_else(|| FileError::NotFound(id.vpath().as_rootless_path().into()))
    }

    fn font(&self, index: usize) -> Option<Font> {
        fonts().fonts.get(index).cloned()
    }

    fn today(&self, _offset: Option<i64>) -> Option<Datetime> {
        self.today
    }
}

fn first_error(errors: &[SourceDiagnostic]) -> String {
    errors
        .first()
        .map(|e| e.message.to_string())
        .unwrap_or_else(|| "no reason given".into())
}

/// The report typeset as a PDF document.
pub fn pdf(report: &MonthlyReport) -> Result<Vec<u8>, PdfError> {
    let mut files = HashMap::new();
    files.insert(id("/report.json"), Bytes::new(serde_json::to_vec(report)?));
    for (i, s) in report.sections.iter().enumerate() {
        for (j, c) in s.charts.iter().enumerate() {
            files.insert(
                id(&format!("/chart-{i}-{j}.svg")),
                Bytes::new(bar_chart(c).into_bytes()),
            );
        }
    }
    let world = ReportWorld {
        library: LazyHash::new(Library::default()),
        main: Source::new(id("/report.typ"), TEMPLATE.to_string()),
        files,
        today: None,
    };
    let document: PagedDocument = typst::compile(&world)
        .output
        .map_err(|e| PdfError::Typeset(first_error(&e)))?;
    typst_pdf::pdf(&document, &typst_pdf::PdfOptions::default())
        .map_err(|e| PdfError::Typeset(first_error(&e)))
}
