//! The serde form of events: one key per event (the scenario format's
//! steps), configuration changes read by [`Change`]'s own derived form, and
//! errors that name the step and the field (`` `claim.visitor`: invalid
//! type ``), not "did not match any variant".

use std::cell::Cell;
use std::fmt;

use serde::de::value::StrDeserializer;
use serde::de::{
    DeserializeSeed, Deserializer, EnumAccess, Error as _, IntoDeserializer, MapAccess, VariantAccess, Visitor,
};
use serde::{Deserialize, Serialize};

use super::Event;
use crate::config::AgentSpec;
use crate::route::TransferTarget;
use crate::snapshot::Change;
use crate::state::Status;

/// `transfer`'s fields: exactly one of `to_group` and `to_agent`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Transfer {
    visitor: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    agent: Option<String>,
}

impl TryFrom<Transfer> for super::Transfer {
    type Error = &'static str;

    fn try_from(w: Transfer) -> Result<Self, Self::Error> {
        let to = match (w.to_group, w.to_agent) {
            (Some(g), None) => TransferTarget::Group(g),
            (None, Some(a)) => TransferTarget::Agent(a),
            _ => return Err("`transfer` needs exactly one of `to_group` and `to_agent`"),
        };
        Ok(super::Transfer { visitor: w.visitor, to, agent: w.agent })
    }
}

impl From<super::Transfer> for Transfer {
    fn from(t: super::Transfer) -> Self {
        let (to_group, to_agent) = match t.to {
            TransferTarget::Group(g) => (Some(g), None),
            TransferTarget::Agent(a) => (None, Some(a)),
        };
        Transfer { visitor: t.visitor, to_group, to_agent, agent: t.agent }
    }
}

/// Reads an event from a map of exactly one key.
pub(super) struct EventVisitor;

impl<'de> Visitor<'de> for EventVisitor {
    type Value = Event;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event: an object with exactly one event key")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Event, A::Error> {
        let Some(key) = map.next_key::<String>()? else {
            return Err(A::Error::custom("an event needs one event key"));
        };
        let Some(event) = Event::read_entry(&key, &mut map)? else {
            let known = super::EVENTS.join("`, `");
            return Err(A::Error::custom(format!(
                "unknown event `{key}`, expected one of `{known}` or a configuration change"
            )));
        };
        if let Some(other) = map.next_key::<String>()? {
            return Err(A::Error::custom(format!("an event has exactly one key, found `{key}` and `{other}`")));
        }
        Ok(event)
    }
}

/// The payload of event `key`, its errors located.
pub(super) fn payload<'de, T: Deserialize<'de>, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<T, A::Error> {
    let located = Cell::new(false);
    map.next_value_seed(Located { key, located: &located, seed: std::marker::PhantomData::<T> })
        .map_err(|e| if located.get() { e } else { A::Error::custom(format_args!("`{key}`: {e}")) })
}

/// The change whose key is `key`, its errors located.
pub(super) fn change<'de, A: MapAccess<'de>>(key: &str, map: &mut A) -> Result<Change, A::Error> {
    let located = Cell::new(false);
    Change::deserialize(Entry { key, map, located: &located })
        .map_err(|e| if located.get() { e } else { A::Error::custom(format_args!("`{key}`: {e}")) })
}

/// Deserializes a `T` from a value whose struct fields are named in errors.
struct Located<'a, S> {
    key: &'a str,
    located: &'a Cell<bool>,
    seed: S,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for Located<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Fields { de: d, hooks: Hooks::naming(self.key, self.located) })
    }
}

/// What a wrapped struct's fields get besides being handed on: the field
/// whose value failed named in the error (inside an event), and a `status`
/// field taken out for the caller (`add_agent`'s, beside a spec's fields).
#[derive(Clone, Copy)]
struct Hooks<'a> {
    /// The event's key, and where to record that an error was located.
    name: Option<(&'a str, &'a Cell<bool>)>,
    /// Where a `status` field goes, when it is taken out.
    status: Option<&'a Cell<Option<Status>>>,
}

impl<'a> Hooks<'a> {
    fn naming(key: &'a str, located: &'a Cell<bool>) -> Self {
        Hooks { name: Some((key, located)), status: None }
    }
}

/// A deserializer whose structs' fields get [`Hooks`].
struct Fields<'a, D> {
    de: D,
    hooks: Hooks<'a>,
}

macro_rules! forward {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
                self.de.$method(v)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Fields<'_, D> {
    type Error = D::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_struct(name, fields, Named { v, hooks: self.hooks })
    }

    fn deserialize_map<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_map(Named { v, hooks: self.hooks })
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_unit_struct(name, v)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, name: &'static str, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_newtype_struct(name, v)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, D::Error> {
        self.de.deserialize_tuple(len, v)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_tuple_struct(name, len, v)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, D::Error> {
        self.de.deserialize_enum(name, variants, v)
    }

    forward! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64 deserialize_u128
        deserialize_f32 deserialize_f64 deserialize_char deserialize_str deserialize_string deserialize_bytes
        deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq deserialize_identifier
        deserialize_ignored_any
    }

    fn is_human_readable(&self) -> bool {
        self.de.is_human_readable()
    }
}

/// The visitor of a struct whose map access applies [`Hooks`].
struct Named<'a, V> {
    v: V,
    hooks: Hooks<'a>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Named<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.v.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.v.visit_map(NamedMap { map, hooks: self.hooks, field: None })
    }
}

struct NamedMap<'a, A> {
    map: A,
    hooks: Hooks<'a>,
    field: Option<String>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for NamedMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        loop {
            let Some(field) = self.map.next_key::<String>()? else {
                return Ok(None);
            };
            let Some(status) = self.hooks.status.filter(|_| field == "status") else {
                let read = seed.deserialize(IntoDeserializer::<A::Error>::into_deserializer(field.as_str()));
                self.field = Some(field);
                return read.map(Some);
            };
            if status.get().is_some() {
                return Err(A::Error::duplicate_field("status"));
            }
            self.field = Some(field);
            status.set(Some(self.next_value()?));
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let Some((key, located)) = self.hooks.name else { return self.map.next_value_seed(seed) };
        self.map.next_value_seed(seed).map_err(|e| {
            located.set(true);
            A::Error::custom(format_args!("`{key}.{}`: {e}", self.field.as_deref().unwrap_or("?")))
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.map.size_hint()
    }
}

/// One entry of a map read as an externally tagged enum: the key is the
/// variant, the value its content.
struct Entry<'a, A> {
    key: &'a str,
    map: &'a mut A,
    located: &'a Cell<bool>,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Entry<'_, A> {
    type Error = A::Error;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, A::Error> {
        v.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Entry<'_, A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), A::Error> {
        let key: StrDeserializer<'_, A::Error> = self.key.into_deserializer();
        let variant = seed.deserialize(key)?;
        Ok((variant, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Entry<'_, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.map.next_value::<()>()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(Located { key: self.key, located: self.located, seed })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, v: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(TupleSeed { len, v })
    }

    fn struct_variant<V: Visitor<'de>>(self, fields: &'static [&'static str], v: V) -> Result<V::Value, A::Error> {
        let named = Named { v, hooks: Hooks::naming(self.key, self.located) };
        self.map.next_value_seed(StructSeed { fields, v: named })
    }
}

struct TupleSeed<V> {
    len: usize,
    v: V,
}

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for TupleSeed<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_tuple(self.len, self.v)
    }
}

struct StructSeed<V> {
    fields: &'static [&'static str],
    v: V,
}

impl<'de, V: Visitor<'de>> DeserializeSeed<'de> for StructSeed<V> {
    type Value = V::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        d.deserialize_struct("", self.fields, self.v)
    }
}

/// `add_agent` (and a scenario's agents): an [`AgentSpec`]'s fields and a
/// `status` beside them, written flat.
#[derive(Serialize)]
struct NewAgentOut<'a> {
    #[serde(flatten)]
    agent: &'a AgentSpec,
    status: Status,
}

impl Serialize for super::NewAgent {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        NewAgentOut { agent: &self.agent, status: self.status }.serialize(s)
    }
}

/// Read as the spec, with `status` taken out of its fields on the way: the
/// spec's own reading (its defaults, its unknown-field errors) stays the
/// one written on [`AgentSpec`].
impl<'de> Deserialize<'de> for super::NewAgent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let status = Cell::new(None);
        let hooks = Hooks { name: None, status: Some(&status) };
        let agent = AgentSpec::deserialize(Fields { de: d, hooks })?;
        Ok(super::NewAgent { agent, status: status.get().unwrap_or(Status::Online) })
    }
}
