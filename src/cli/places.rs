//! Paragraphs read back from the inputs with the place a person (or an editor, or a CI annotation)
//! can jump to: `PATH:LINE`, where LINE is the paragraph's line in a text file, or the record's line
//! in a JSON Lines file.

use paradup::{Inputs, Location, ReadEvent, ReadOptions, Span};
use std::ops::ControlFlow;

/// A paragraph read again: its text and where it is.
#[derive(Clone, Debug)]
pub struct Place {
    pub text: String,
    pub location: Location,
}

/// Reads the paragraphs `requests` (document index, span) from `inputs`, whose first document has
/// index `first_doc` in the scan. A paragraph whose document is gone or changed comes back as
/// `None`.
pub fn read_places(
    inputs: &Inputs,
    read_options: &ReadOptions,
    first_doc: u32,
    requests: &[(u32, Span)],
) -> Vec<Option<Place>> {
    let mut order: Vec<usize> = (0..requests.len()).collect();
    order.sort_by_key(|&i| (requests[i].0, requests[i].1.start));
    let mut found: Vec<Option<Place>> = vec![None; requests.len()];
    let mut next = 0;
    let mut doc_index = first_doc;
    // Requests for documents before `first_doc` belong to other inputs.
    while next < order.len() && requests[order[next]].0 < first_doc {
        next += 1;
    }
    if next == order.len() {
        return found;
    }
    let _ = inputs.read(read_options, &mut |event| {
        let ReadEvent::Document(doc) = event else {
            return ControlFlow::Continue(());
        };
        // Lines counted so far: up to `counted` bytes of the text.
        let (mut counted, mut line) = (0usize, 1u64);
        while next < order.len() && requests[order[next]].0 == doc_index {
            let (_, span) = requests[order[next]];
            if let Some(text) = doc.text.get(span.start..span.end) {
                let location = match doc.location.record() {
                    Some(_) => doc.location.clone(),
                    None => {
                        line += doc.text.as_bytes()[counted..span.start]
                            .iter()
                            .filter(|&&b| b == b'\n')
                            .count() as u64;
                        counted = span.start;
                        Location {
                            path: doc.location.path.clone(),
                            line: Some(line),
                            row: None,
                        }
                    }
                };
                found[order[next]] = Some(Place {
                    text: text.to_owned(),
                    location,
                });
            }
            next += 1;
        }
        doc_index += 1;
        if next == order.len() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    found
}
