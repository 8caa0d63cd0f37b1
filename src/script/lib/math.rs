//! Statistics and rounding rhai's math package lacks: `sum`, `mean`, `median`, `min_of`,
//! `max_of` over an array of numbers, `round_to(x, digits)` and `clamp`. (Rhai already has
//! `min`/`max` of two values, `abs`, `sign`, `floor`, `ceiling`, `round`, `sqrt`, `exp`, `ln`,
//! `log`, `to_int`, `to_float`, `parse_int`, `parse_float` and the trigonometry.)

use rhai::{Array, Dynamic, Engine, FLOAT, INT};

use super::{CHECK_EVERY, Res, checkpoint, error, reserve};

/// A number of the array, as it is (an `INT` stays exact).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Num {
    Int(INT),
    Float(FLOAT),
}

impl Num {
    fn float(self) -> FLOAT {
        match self {
            Num::Int(i) => i as FLOAT,
            Num::Float(f) => f,
        }
    }

    fn value(self) -> Dynamic {
        match self {
            Num::Int(i) => i.into(),
            Num::Float(f) => f.into(),
        }
    }
}

/// Calls `each` with every item as a number; anything else is an error naming its index.
fn numbers(f: &str, items: &Array, mut each: impl FnMut(Num) -> Res<()>) -> Res<()> {
    for (i, v) in items.iter().enumerate() {
        let n = if let Ok(n) = v.as_int() {
            Num::Int(n)
        } else if let Ok(x) = v.as_float() {
            Num::Float(x)
        } else {
            return Err(error(format!(
                "{f}: the item at index {i} is {}, not a number",
                v.type_name()
            )));
        };
        each(n)?;
        if (i + 1).is_multiple_of(CHECK_EVERY) {
            checkpoint()?;
        }
    }
    Ok(())
}

/// An `INT` while every item is one (an overflow is an error), else a `FLOAT`.
fn sum(items: &Array) -> Res<Dynamic> {
    let mut total = Num::Int(0);
    numbers("sum", items, |n| {
        total = match (total, n) {
            (Num::Int(a), Num::Int(b)) => Num::Int(a.checked_add(b).ok_or_else(|| {
                error("sum: the total overflows a 64-bit integer (add to_float(x) instead)")
            })?),
            (a, b) => Num::Float(a.float() + b.float()),
        };
        Ok(())
    })?;
    Ok(total.value())
}

fn mean(items: &Array) -> Res<Dynamic> {
    let mut total = 0.0;
    numbers("mean", items, |n| {
        total += n.float();
        Ok(())
    })?;
    Ok(if items.is_empty() {
        Dynamic::UNIT
    } else {
        (total / items.len() as FLOAT).into()
    })
}

fn median(items: &Array) -> Res<Dynamic> {
    reserve(items.len().saturating_mul(std::mem::size_of::<FLOAT>()))?;
    let mut values = Vec::with_capacity(items.len());
    numbers("median", items, |n| {
        values.push(n.float());
        Ok(())
    })?;
    if values.is_empty() {
        return Ok(Dynamic::UNIT);
    }
    values.sort_unstable_by(FLOAT::total_cmp);
    let mid = values.len() / 2;
    let m = if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    };
    Ok(m.into())
}

/// The smallest (`more` false) or largest item, as it is; `()` for an empty array.
fn extreme(f: &str, items: &Array, more: bool) -> Res<Dynamic> {
    let mut best: Option<Num> = None;
    numbers(f, items, |n| {
        let better = match best {
            None => true,
            Some(b) if more => n.float() > b.float(),
            Some(b) => n.float() < b.float(),
        };
        if better {
            best = Some(n);
        }
        Ok(())
    })?;
    Ok(best.map_or(Dynamic::UNIT, Num::value))
}

/// `x` rounded to `digits` decimals (half away from zero); negative `digits` round to tens,
/// hundreds, ….
fn round_to(x: FLOAT, digits: INT) -> FLOAT {
    let digits = i32::try_from(digits.clamp(-308, 308)).unwrap_or(0);
    let scale = 10f64.powi(digits.abs());
    if digits >= 0 {
        let scaled = x * scale;
        if scaled.is_finite() {
            scaled.round() / scale
        } else {
            x
        }
    } else {
        (x / scale).round() * scale
    }
}

fn clamp_check(f: &str, low: FLOAT, high: FLOAT) -> Res<()> {
    if low > high {
        return Err(error(format!(
            "{f}: the low bound {low} is above the high bound {high}"
        )));
    }
    Ok(())
}

/// Registers the statistics and rounding functions.
pub fn register(engine: &mut Engine) {
    engine.register_fn("sum", |a: &mut Array| sum(a));
    engine.register_fn("mean", |a: &mut Array| mean(a));
    engine.register_fn("median", |a: &mut Array| median(a));
    engine.register_fn("min_of", |a: &mut Array| extreme("min_of", a, false));
    engine.register_fn("max_of", |a: &mut Array| extreme("max_of", a, true));
    engine.register_fn("round_to", round_to);
    engine.register_fn("round_to", |x: INT, digits: INT| {
        round_to(x as FLOAT, digits)
    });
    engine.register_fn("clamp", |x: INT, low: INT, high: INT| -> Res<INT> {
        clamp_check("clamp", low as FLOAT, high as FLOAT)?;
        Ok(x.clamp(low, high))
    });
    engine.register_fn("clamp", |x: FLOAT, low: FLOAT, high: FLOAT| -> Res<FLOAT> {
        clamp_check("clamp", low, high)?;
        Ok(x.clamp(low, high))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(items: &[Dynamic]) -> Array {
        items.to_vec()
    }

    #[test]
    fn sums_stay_integers_until_a_float_comes() {
        assert_eq!(
            sum(&array(&[1.into(), 2.into()]))
                .unwrap()
                .as_int()
                .unwrap(),
            3
        );
        assert_eq!(
            sum(&array(&[1.into(), 2.5.into()]))
                .unwrap()
                .as_float()
                .unwrap(),
            3.5
        );
        assert_eq!(sum(&Array::new()).unwrap().as_int().unwrap(), 0);
        let e = sum(&array(&[INT::MAX.into(), 1.into()])).unwrap_err();
        assert!(e.to_string().contains("overflows"), "{e}");
        let e = sum(&array(&[1.into(), "2".into()])).unwrap_err();
        assert!(
            e.to_string().contains("sum: the item at index 1 is string"),
            "{e}"
        );
    }

    #[test]
    fn mean_median_and_extremes() {
        let a = array(&[3.into(), 1.into(), 4.into(), 1.5.into()]);
        assert_eq!(mean(&a).unwrap().as_float().unwrap(), 2.375);
        assert_eq!(median(&a).unwrap().as_float().unwrap(), 2.25);
        assert_eq!(
            median(&array(&[5.into(), 1.into(), 3.into()]))
                .unwrap()
                .as_float()
                .unwrap(),
            3.0
        );
        assert_eq!(min_max(&a), (1.into(), 4.into()));
        assert!(mean(&Array::new()).unwrap().is_unit());
        assert!(median(&Array::new()).unwrap().is_unit());
        assert!(extreme("min_of", &Array::new(), false).unwrap().is_unit());
    }

    fn min_max(a: &Array) -> (INT, INT) {
        (
            extreme("min_of", a, false).unwrap().as_int().unwrap(),
            extreme("max_of", a, true).unwrap().as_int().unwrap(),
        )
    }

    #[test]
    fn rounding_and_clamping() {
        assert_eq!(round_to(2.345, 2), 2.35);
        assert_eq!(round_to(-2.5, 0), -3.0);
        assert_eq!(round_to(1234.0, -2), 1200.0);
        assert_eq!(round_to(1e300, 20), 1e300);
        assert!(clamp_check("clamp", 2.0, 1.0).is_err());
    }
}
