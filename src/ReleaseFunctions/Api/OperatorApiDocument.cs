using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.Options;
using Microsoft.OpenApi;

namespace ReleaseFunctions.Api;

/// <summary>
/// The OpenAPI document at <c>/openapi/v1.json</c>, with the operator key as its bearer scheme on the endpoints that
/// need it. Both hosts answer through <see cref="GetDocumentAsync"/>, from the app's minimal API definitions (under the
/// Functions host they are built for description only: <see cref="Composition.FunctionsWorkerComposition"/>).
/// </summary>
internal static class OperatorApiDocument
{
    public const string DocumentName = "v1";
    public const string Route = "/openapi/v1.json";
    private const string SchemeName = "operatorKey";

    public static IEndpointRouteBuilder MapOperatorApiDocument(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Route, GetDocumentAsync).WithTags("OpenAPI").ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>The document as JSON, in the OpenAPI version its options name.</summary>
    internal static async Task<IResult> GetDocumentAsync(HttpContext http, CancellationToken cancellationToken)
    {
        var services = http.RequestServices;
        var document = await services.GetRequiredKeyedService<IOpenApiDocumentProvider>(DocumentName).GetOpenApiDocumentAsync(cancellationToken);
        var version = services.GetRequiredService<IOptionsMonitor<OpenApiOptions>>().Get(DocumentName).OpenApiVersion;
        var json = await document.SerializeAsJsonAsync(version, cancellationToken);
        return TypedResults.Text(json, "application/json; charset=utf-8");
    }

    public static IServiceCollection AddOperatorApiDocument(this IServiceCollection services)
    {
        return services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info.Title = "ReleaseFunctions";
                document.Info.Description = "Releases, their timelines and commands, DORA metrics, and the GitHub webhook.";
                document.Components ??= new OpenApiComponents();
                document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "An operator API key from ReleaseFunctions__Operator__ApiKeys (also accepted in the X-Api-Key header).",
                };
                return Task.CompletedTask;
            });
            options.AddOperationTransformer((operation, context, _) =>
            {
                if (context.Description.ActionDescriptor.EndpointMetadata.OfType<IAuthorizeData>().Any())
                {
                    operation.Security ??= [];
                    operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
                }

                return Task.CompletedTask;
            });
        });
    }
}
