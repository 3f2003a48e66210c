//! What Fargate runs: its exact CPU and memory pairs, and what Fargate Spot takes.
//! RegisterTaskDefinition refuses any other pair (`Invalid 'cpu' setting for task`),
//! and the emulator takes them all, so the table is checked here, before an apply
//! stops half-way on it.
//!
//! Source: "Task CPU and memory" in the Amazon ECS developer guide,
//! https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-cpu-memory-error.html
//! and https://docs.aws.amazon.com/AmazonECS/latest/developerguide/fargate-tasks-services.html#fargate-tasks-size
//! (8 and 16 vCPU need Linux platform version 1.4.0, which is LATEST).

/// The memory sizes (MiB) one CPU size takes.
enum Memory {
    /// Only these.
    OneOf(&'static [u32]),
    /// From `min` to `max` in steps of `step`.
    Steps { min: u32, max: u32, step: u32 },
}

/// CPU units with the memory each takes: 0.25 vCPU takes 512 MiB, 1 GB or 2 GB, and
/// nothing in between (1536 is refused); the larger sizes go in whole steps.
const SIZES: &[(u32, Memory)] = &[
    (256, Memory::OneOf(&[512, 1024, 2048])),
    (
        512,
        Memory::Steps {
            min: 1024,
            max: 4096,
            step: 1024,
        },
    ),
    (
        1024,
        Memory::Steps {
            min: 2048,
            max: 8192,
            step: 1024,
        },
    ),
    (
        2048,
        Memory::Steps {
            min: 4096,
            max: 16384,
            step: 1024,
        },
    ),
    (
        4096,
        Memory::Steps {
            min: 8192,
            max: 30720,
            step: 1024,
        },
    ),
    (
        8192,
        Memory::Steps {
            min: 16384,
            max: 61440,
            step: 4096,
        },
    ),
    (
        16384,
        Memory::Steps {
            min: 32768,
            max: 122880,
            step: 8192,
        },
    ),
];

/// Why `cpu` is not a Fargate CPU size, if it is not.
pub fn cpu_problem(cpu: u32) -> Option<String> {
    if SIZES.iter().any(|(c, _)| *c == cpu) {
        return None;
    }
    let sizes: Vec<String> = SIZES.iter().map(|(c, _)| c.to_string()).collect();
    Some(format!(
        "{cpu} is not a Fargate CPU size; use one of {}",
        sizes.join(", ")
    ))
}

/// Why `memory` does not go with `cpu`, if it does not (None for an unknown `cpu`,
/// which `cpu_problem` reports).
pub fn memory_problem(cpu: u32, memory: u32) -> Option<String> {
    let (_, sizes) = SIZES.iter().find(|(c, _)| *c == cpu)?;
    match sizes {
        Memory::OneOf(allowed) if !allowed.contains(&memory) => {
            let listed: Vec<String> = allowed.iter().map(|m| m.to_string()).collect();
            Some(format!(
                "{memory} MiB does not fit cpu = {cpu}: Fargate takes only {} MiB with it",
                or_list(&listed)
            ))
        }
        Memory::Steps { min, max, step }
            if memory < *min || memory > *max || !(memory - min).is_multiple_of(*step) =>
        {
            Some(format!(
                "{memory} MiB does not fit cpu = {cpu}: Fargate takes {min} to {max} MiB in \
                 steps of {step}"
            ))
        }
        _ => None,
    }
}

/// Fargate Spot runs Linux tasks on X86_64 only (ECS developer guide, "AWS Fargate
/// capacity providers": "Linux tasks with the ARM64 architecture don't support the
/// Fargate Spot capacity provider"). The service would be created and no task
/// would ever be placed.
pub const SPOT_ARCHITECTURE: &str = "Fargate Spot runs only X86_64 Linux tasks (the \
     ECS developer guide: \"Linux tasks with the ARM64 architecture don't support the \
     Fargate Spot capacity provider\"): set arch = \"x86_64\", or spot = false to run \
     on ARM";

/// "a, b or c".
fn or_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => items.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every pair of AWS's table, written out as the developer guide lists it.
    #[test]
    fn the_table_is_the_one_aws_publishes() {
        let gb = |g: u32| g * 1024;
        let valid: Vec<(u32, Vec<u32>)> = vec![
            (256, vec![512, gb(1), gb(2)]),
            (512, (1..=4).map(gb).collect()),
            (1024, (2..=8).map(gb).collect()),
            (2048, (4..=16).map(gb).collect()),
            (4096, (8..=30).map(gb).collect()),
            (8192, (16..=60).step_by(4).map(gb).collect()),
            (16384, (32..=120).step_by(8).map(gb).collect()),
        ];
        for (cpu, memories) in &valid {
            assert_eq!(cpu_problem(*cpu), None);
            for m in (256..=gb(130)).step_by(256) {
                let fits = memories.contains(&m);
                assert_eq!(
                    memory_problem(*cpu, m).is_none(),
                    fits,
                    "cpu {cpu} memory {m}: {:?}",
                    memory_problem(*cpu, m)
                );
            }
        }
        assert!(cpu_problem(128).is_some());
        assert!(cpu_problem(3072).is_some());
    }

    #[test]
    fn a_quarter_vcpu_with_1536_mib_is_refused_with_the_sizes_it_takes() {
        let problem = memory_problem(256, 1536).unwrap();
        assert!(problem.contains("512, 1024 or 2048"), "{problem}");
    }
}
