//! The shape of a catalogue file, read off the serde structs of `entry` rather than written out again.
//!
//! `Schema::of::<T>()` runs `T`'s own `Deserialize` impl against a recording deserializer. Serde derive
//! hands every struct's field list (after `rename`, without `skip_deserializing` fields) to
//! `deserialize_struct`, and then asks for each field's value through the method of its type
//! (`deserialize_string`, `deserialize_u64`, `deserialize_seq`, `deserialize_struct`, ...); the probe
//! notes both and answers with a placeholder value so the walk goes on into nested tables and list
//! items. Whether a field is required is asked of serde too: the probe runs again once per field with
//! that field left out, and the field is required exactly when serde then reports it missing (so
//! `#[serde(default)]` and `Option` both make a field optional, as they do when a file is read).
//!
//! The shapes a catalogue file uses are strings, integers, booleans, lists of strings, tables and lists
//! of tables. A field of any other shape (a float, an enum, a flattened struct...) is recorded
//! as `Ty::Unsupported` and listed in `Schema::problems`, as is a probe that fails (serde lists a
//! field's `alias`es as further fields, so the probe's table holds the field twice); the validator's
//! tests require the list to be empty for `Entry`, so such a field is caught before it ships, and
//! until then the structural check leaves it to serde's own reading of the file.

use std::fmt::Display;
use std::marker::PhantomData;

use serde::de::value::StrDeserializer;
use serde::de::{
    self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

/// The TOML shape of a field's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    Str,
    Int,
    Bool,
    StrList,
    Table(Vec<Field>),
    TableList(Vec<Field>),
    /// A Rust type outside the shapes above, named as serde asked for it.
    Unsupported(String),
}

impl Ty {
    /// The shape in words, for messages such as "expected a string, found an integer".
    pub fn describe(&self) -> &'static str {
        match self {
            Ty::Str => "a string",
            Ty::Int => "an integer",
            Ty::Bool => "true or false",
            Ty::StrList => "a list of strings",
            Ty::Table(_) => "a table",
            Ty::TableList(_) => "an array of tables ([[...]])",
            Ty::Unsupported(_) => "a value",
        }
    }
}

/// One field of a table, as the file spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub required: bool,
}

/// The fields of a struct's table, in declaration order, and anything the probe could not describe.
#[derive(Debug, Clone)]
pub struct Schema {
    pub fields: Vec<Field>,
    /// Each a sentence naming the field: empty for every struct the catalogue reads (a test checks).
    pub problems: Vec<String>,
}

impl Schema {
    /// Derives the schema of a struct from its `Deserialize` impl.
    pub fn of<T: DeserializeOwned>() -> Schema {
        let type_name = std::any::type_name::<T>();
        let mut shape = Shape::Unknown;
        let mut problems = Vec::new();
        let walked = T::deserialize(Probe::root(&mut shape, None));
        if let Err(e) = &walked {
            problems.push(format!("{type_name}: {e}"));
        }
        let Shape::Table(fields) = shape else {
            problems.push(format!("{type_name} is not a struct"));
            return Schema {
                fields: Vec::new(),
                problems,
            };
        };
        let mut derive = Derive::<T> {
            // After a failed walk every run with a field left out fails the same way: one report
            // of the failure is enough, and then requirement is not asked.
            ask_required: walked.is_ok(),
            path: Vec::new(),
            problems,
            marker: PhantomData,
        };
        let fields = derive.fields(fields);
        Schema {
            fields,
            problems: derive.problems,
        }
    }

    /// The names of the top-level fields, in declaration order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.fields.iter().map(|f| f.name)
    }
}

/// What the probe saw for one value.
enum Shape {
    /// Serde never asked for this value (the walk stopped at an earlier error).
    Unknown,
    Str,
    Int,
    Bool,
    List(Box<Shape>),
    Table(Vec<(&'static str, Shape)>),
    Unsupported(&'static str),
}

impl Shape {
    fn name(&self) -> &'static str {
        match self {
            Shape::Unknown => "never read",
            Shape::Str => "a string",
            Shape::Int => "an integer",
            Shape::Bool => "a boolean",
            Shape::List(_) => "a list",
            Shape::Table(_) => "a table",
            Shape::Unsupported(what) => what,
        }
    }
}

/// Turns the probe's shapes into fields, asking serde which of them are required.
struct Derive<T> {
    ask_required: bool,
    path: Vec<&'static str>,
    problems: Vec<String>,
    marker: PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> Derive<T> {
    fn fields(&mut self, shapes: Vec<(&'static str, Shape)>) -> Vec<Field> {
        shapes
            .into_iter()
            .map(|(name, shape)| {
                self.path.push(name);
                let ty = match shape {
                    Shape::Str => Ty::Str,
                    Shape::Int => Ty::Int,
                    Shape::Bool => Ty::Bool,
                    Shape::List(item) => match *item {
                        Shape::Str => Ty::StrList,
                        Shape::Table(fields) => Ty::TableList(self.fields(fields)),
                        other => self.unsupported(format!("a list of items each {}", other.name())),
                    },
                    Shape::Table(fields) => Ty::Table(self.fields(fields)),
                    other => self.unsupported(other.name().to_owned()),
                };
                let required = self.ask_required && self.is_required();
                self.path.pop();
                Field { name, ty, required }
            })
            .collect()
    }

    fn unsupported(&mut self, what: String) -> Ty {
        self.problems.push(format!(
            "field `{}` is {what}, which the catalogue schema does not describe",
            self.path.join(".")
        ));
        Ty::Unsupported(what)
    }

    /// Runs the probe with the current field left out: serde reports it missing only if required.
    fn is_required(&mut self) -> bool {
        let mut scratch = Shape::Unknown;
        match T::deserialize(Probe::root(&mut scratch, Some(&self.path))) {
            Ok(_) => false,
            Err(ProbeError::Missing(name)) if self.path.last() == Some(&name) => true,
            Err(e) => {
                self.problems.push(format!(
                    "field `{}`: cannot tell whether it is required: {e}",
                    self.path.join(".")
                ));
                false
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum ProbeError {
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("{0}")]
    Other(String),
}

impl de::Error for ProbeError {
    fn custom<M: Display>(msg: M) -> Self {
        ProbeError::Other(msg.to_string())
    }

    fn missing_field(field: &'static str) -> Self {
        ProbeError::Missing(field)
    }
}

/// Deeper than any catalogue table nests: a type that goes further is taken to contain itself.
const MAX_DEPTH: usize = 16;

/// The recording deserializer: writes what serde asked for into `out`, and answers with a
/// placeholder (an empty string, zero, a one-item list, a table of every field but the omitted one).
struct Probe<'r> {
    out: &'r mut Shape,
    /// The path, relative to this value, of the one field to leave out.
    omit: Option<&'r [&'static str]>,
    depth: usize,
}

impl<'r> Probe<'r> {
    fn root(out: &'r mut Shape, omit: Option<&'r [&'static str]>) -> Self {
        Probe {
            out,
            omit,
            depth: 0,
        }
    }

    /// Records a shape no catalogue file uses but answers it all the same, so the walk still
    /// reaches (and reports on) the fields after it.
    fn record<V>(self, what: &'static str, answer: impl FnOnce() -> V) -> V {
        *self.out = Shape::Unsupported(what);
        answer()
    }

    /// Records a shape that has no placeholder value; the walk stops here.
    fn refuse<V>(self, what: &'static str) -> Result<V, ProbeError> {
        *self.out = Shape::Unsupported(what);
        Err(ProbeError::Other(format!("{what} has no catalogue shape")))
    }

    fn int<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        *self.out = Shape::Int;
        visitor.visit_u64(0)
    }

    fn string<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        *self.out = Shape::Str;
        visitor.visit_str("")
    }
}

macro_rules! int {
    ($($method:ident),* $(,)?) => {
        $(fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
            self.int(visitor)
        })*
    };
}

impl<'de> de::Deserializer<'de> for Probe<'_> {
    type Error = ProbeError;

    int! {
        deserialize_i8, deserialize_i16, deserialize_i32, deserialize_i64, deserialize_i128,
        deserialize_u8, deserialize_u16, deserialize_u32, deserialize_u64, deserialize_u128,
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.string(visitor)
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.string(visitor)
    }

    // An optional field has the shape of its content; whether it may be left out is asked separately.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        if self.depth >= MAX_DEPTH {
            return self.refuse("a type that contains itself");
        }
        let mut item = Shape::Unknown;
        // One item, so that its shape is seen; the omitted path applies inside it.
        let result = visitor.visit_seq(OneItem {
            out: Some(&mut item),
            omit: self.omit,
            depth: self.depth + 1,
        });
        *self.out = Shape::List(Box::new(item));
        result
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        if self.depth >= MAX_DEPTH {
            return self.refuse("a type that contains itself");
        }
        let mut shapes: Vec<(&'static str, Shape)> =
            fields.iter().map(|&f| (f, Shape::Unknown)).collect();
        let result = visitor.visit_map(EveryField {
            shapes: &mut shapes,
            next: 0,
            omit: self.omit,
            depth: self.depth + 1,
        });
        *self.out = Shape::Table(shapes);
        result
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        *self.out = Shape::Bool;
        visitor.visit_bool(false)
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.record("a float", || visitor.visit_f64(0.0))
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.record("a float", || visitor.visit_f64(0.0))
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.record("a char", || visitor.visit_char(' '))
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.record("bytes", || visitor.visit_bytes(&[]))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.record("bytes", || visitor.visit_bytes(&[]))
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ProbeError> {
        self.record("a unit", || visitor.visit_unit())
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.record("a unit struct", || visitor.visit_unit())
    }

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
        self.refuse("an untyped value")
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
        self.refuse("a map or a flattened struct")
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
        self.refuse("an identifier")
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
        self.refuse("an ignored value")
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.refuse("a tuple")
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.refuse("a tuple")
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.refuse("an enum")
    }
}

/// A list of exactly one item, probed.
struct OneItem<'r> {
    out: Option<&'r mut Shape>,
    omit: Option<&'r [&'static str]>,
    depth: usize,
}

impl<'de> SeqAccess<'de> for OneItem<'_> {
    type Error = ProbeError;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, ProbeError> {
        match self.out.take() {
            Some(out) => seed
                .deserialize(Probe {
                    out,
                    omit: self.omit,
                    depth: self.depth,
                })
                .map(Some),
            None => Ok(None),
        }
    }
}

/// A table holding every field of a struct except the one being left out.
struct EveryField<'s, 'r> {
    shapes: &'s mut [(&'static str, Shape)],
    next: usize,
    omit: Option<&'r [&'static str]>,
    depth: usize,
}

impl<'de> MapAccess<'de> for EveryField<'_, '_> {
    type Error = ProbeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ProbeError> {
        while let Some((name, _)) = self.shapes.get(self.next) {
            if self.omit == Some(&[*name][..]) {
                self.next += 1;
                continue;
            }
            let key: StrDeserializer<'_, ProbeError> = name.into_deserializer();
            return seed.deserialize(key).map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, ProbeError> {
        let Some((name, shape)) = self.shapes.get_mut(self.next) else {
            return Err(ProbeError::Other(
                "a value was asked for after the last field".into(),
            ));
        };
        self.next += 1;
        let omit = match self.omit {
            Some([first, rest @ ..]) if first == name && !rest.is_empty() => Some(rest),
            _ => None,
        };
        seed.deserialize(Probe {
            out: shape,
            omit,
            depth: self.depth,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
    #[serde(deny_unknown_fields)]
    struct Inner {
        a: String,
        #[serde(default)]
        b: Vec<String>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    #[serde(deny_unknown_fields)]
    struct Outer {
        #[serde(rename = "type")]
        kind: String,
        count: Option<u8>,
        #[serde(default)]
        year: i32,
        names: Vec<String>,
        inner: Inner,
        #[serde(default)]
        items: Vec<Inner>,
        maybe: Option<Inner>,
        #[serde(skip_deserializing)]
        origin: String,
    }

    fn field<'s>(fields: &'s [Field], name: &str) -> &'s Field {
        let found = fields.iter().find(|f| f.name == name);
        assert!(found.is_some(), "no field {name} in {fields:?}");
        found.unwrap()
    }

    #[test]
    fn reads_names_shapes_and_requirement_from_serde() {
        let schema = Schema::of::<Outer>();
        assert!(schema.problems.is_empty(), "{:?}", schema.problems);
        assert_eq!(
            schema.names().collect::<Vec<_>>(),
            ["type", "count", "year", "names", "inner", "items", "maybe"]
        );
        let inner = vec![
            Field {
                name: "a",
                ty: Ty::Str,
                required: true,
            },
            Field {
                name: "b",
                ty: Ty::StrList,
                required: false,
            },
        ];
        let expected = [
            ("type", Ty::Str, true),
            ("count", Ty::Int, false),
            ("year", Ty::Int, false),
            ("names", Ty::StrList, true),
            ("inner", Ty::Table(inner.clone()), true),
            ("items", Ty::TableList(inner.clone()), false),
            ("maybe", Ty::Table(inner), false),
        ];
        for (name, ty, required) in expected {
            let f = field(&schema.fields, name);
            assert_eq!((&f.ty, f.required), (&ty, required), "{name}");
        }
    }

    #[test]
    fn other_shapes_are_reported() {
        #[derive(Deserialize)]
        #[allow(dead_code)]
        struct Odd {
            ok: String,
            flag: bool,
            ratio: Option<f64>,
            letter: char,
            pairs: Vec<u8>,
        }
        let schema = Schema::of::<Odd>();
        assert_eq!(field(&schema.fields, "ok").ty, Ty::Str);
        assert_eq!(field(&schema.fields, "flag").ty, Ty::Bool);
        // Each odd field is reported, not only the first: the walk answers what it can.
        for (name, what) in [
            ("ratio", "a float"),
            ("letter", "a char"),
            ("pairs", "a list of items each an integer"),
        ] {
            assert_eq!(field(&schema.fields, name).ty, Ty::Unsupported(what.into()));
            assert!(
                schema
                    .problems
                    .iter()
                    .any(|p| p.contains(&format!("`{name}` is {what}"))),
                "{:?}",
                schema.problems
            );
        }
    }
}
