//! Kubernetes' CEL quantity library, as far as filtering needs it: `quantity("1.5Gi")`,
//! `isQuantity(s)`, `q.compareTo(r)`, `q.isLessThan(r)`, `q.isGreaterThan(r)`,
//! `q.asApproximateFloat()`, `q.sign()`, and `==`. Values are [`crate::quantity::Quantity`]:
//! parsed and ordered exactly as apimachinery does. `<`, `<=`, `>`, `>=` also work on two
//! quantities (Kubernetes' own library has only the methods).

use std::any::Any;
use std::cmp::Ordering;

use cel::common::traits::Comparer;
use cel::common::types::{self, CelBool, CelDouble, CelInt, CelString, Type};
use cel::common::value::{CowVal, StaticVal, Val};
use cel::{DeclarationError, Env, ExecutionError};

use crate::quantity::Quantity;

static QUANTITY_TYPE: Type = Type::new_unspecified_type("kubernetes.Quantity");

/// A quantity as a CEL value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CelQuantity(Quantity);

impl Val for CelQuantity {
    fn get_type(&self) -> &Type {
        &QUANTITY_TYPE
    }

    fn cel_type() -> &'static Type {
        &QUANTITY_TYPE
    }

    fn as_comparer(&self) -> Option<&dyn Comparer> {
        Some(self)
    }

    fn equals(&self, other: &dyn Val) -> bool {
        other.downcast_ref::<CelQuantity>().is_some_and(|o| o.0.cmp(&self.0) == Ordering::Equal)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v> {
        Box::new(self.clone())
    }

    fn as_any(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

impl StaticVal for CelQuantity {}

impl Comparer for CelQuantity {
    fn compare(&self, rhs: &dyn Val) -> Result<Ordering, ExecutionError> {
        match rhs.downcast_ref::<CelQuantity>() {
            Some(r) => Ok(self.0.cmp(&r.0)),
            None => Err(ExecutionError::no_such_overload(
                "compareTo",
                vec![QUANTITY_TYPE.name().to_owned(), rhs.get_type().name().to_owned()],
            )),
        }
    }
}

/// Declares the functions on `env`.
pub(super) fn declare(env: &mut Env) -> Result<(), DeclarationError> {
    env.add_type(QUANTITY_TYPE.to_owned())?;
    env.add_overload("quantity", "string_to_quantity", vec![types::STRING_TYPE], |args| {
        let s = string_arg(&args, "quantity")?;
        match Quantity::parse(s) {
            Some(q) => Ok(CowVal::owned(CelQuantity(q))),
            None => Err(ExecutionError::function_error("quantity", format!("{s:?} is not a quantity"))),
        }
    })?;
    env.add_overload("isQuantity", "is_quantity_string", vec![types::STRING_TYPE], |args| {
        let s = string_arg(&args, "isQuantity")?;
        Ok(CowVal::owned(CelBool::from(Quantity::parse(s).is_some())))
    })?;
    let two = || vec![QUANTITY_TYPE.to_owned()];
    env.add_member_overload("compareTo", "quantity_compare_to", QUANTITY_TYPE.to_owned(), two(), |args| {
        let (a, b) = pair(&args, "compareTo")?;
        Ok(CowVal::owned(CelInt::from(a.cmp(b) as i64)))
    })?;
    env.add_member_overload("isLessThan", "quantity_is_less_than", QUANTITY_TYPE.to_owned(), two(), |args| {
        let (a, b) = pair(&args, "isLessThan")?;
        Ok(CowVal::owned(CelBool::from(a < b)))
    })?;
    env.add_member_overload("isGreaterThan", "quantity_is_greater_than", QUANTITY_TYPE.to_owned(), two(), |args| {
        let (a, b) = pair(&args, "isGreaterThan")?;
        Ok(CowVal::owned(CelBool::from(a > b)))
    })?;
    env.add_member_overload("asApproximateFloat", "quantity_as_float", QUANTITY_TYPE.to_owned(), vec![], |args| {
        let q = quantity_arg(&args, 0, "asApproximateFloat")?;
        Ok(CowVal::owned(CelDouble::from(q.to_f64())))
    })?;
    env.add_member_overload("sign", "quantity_sign", QUANTITY_TYPE.to_owned(), vec![], |args| {
        let q = quantity_arg(&args, 0, "sign")?;
        Ok(CowVal::owned(CelInt::from(q.cmp(&Quantity::parse("0").unwrap_or_else(|| q.clone())) as i64)))
    })?;
    Ok(())
}

fn string_arg<'a>(args: &'a [CowVal<'_, '_>], function: &str) -> Result<&'a str, ExecutionError> {
    args.first()
        .and_then(|a| a.downcast_ref::<CelString>())
        .map(|s| s.inner())
        .ok_or_else(|| ExecutionError::function_error(function, "takes a string"))
}

fn quantity_arg<'a>(args: &'a [CowVal<'_, '_>], i: usize, function: &str) -> Result<&'a Quantity, ExecutionError> {
    args.get(i)
        .and_then(|a| a.downcast_ref::<CelQuantity>())
        .map(|q| &q.0)
        .ok_or_else(|| ExecutionError::function_error(function, "takes a quantity"))
}

fn pair<'a>(args: &'a [CowVal<'_, '_>], function: &str) -> Result<(&'a Quantity, &'a Quantity), ExecutionError> {
    Ok((quantity_arg(args, 0, function)?, quantity_arg(args, 1, function)?))
}
