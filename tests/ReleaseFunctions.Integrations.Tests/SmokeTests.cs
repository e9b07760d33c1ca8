namespace ReleaseFunctions.Integrations.Tests;
public class SmokeTests { [Fact] public void Builds() => Assert.True(typeof(SmokeTests).Assembly.GetName().Name == "ReleaseFunctions.Integrations.Tests"); }
